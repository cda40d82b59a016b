import { randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import { maskUsername } from '../privacy/mask.js';
import { limitKey, type RateLimits } from '../security/rate-limits.js';
import type { ResetPages } from './recovery.js';
import type { RegistrationPages } from './registration-links.js';
import type { CoreOperations, RegistrationInput } from './types.js';

/** Renders an HTML page from `templates/` (a nunjucks Environment fits). */
export interface PageRenderer {
  render(name: string, context?: object): string;
}

export interface AccountCorePagesOptions {
  pages: PageRenderer;
  /** Serve `/core/register/:token` (the web registration form with 我要重新注册). Default true. */
  registration?: boolean;
  /** Password changes per IP (`password-change:ip`); the page's token is the rest of the protection. */
  rateLimits?: RateLimits;
}

const REGISTER_COOKIE = 'core_register_form';

/**
 * The embedded core's public pages, to mount at `/core` on the public port: `/reset/:token` (set
 * a new password with a single-use token), `/activate/:token` (e-mail activation) and
 * `/register/:token` (a one-time link a flow handed out). Each is protected by its own token;
 * nothing else of the core is reachable from the public port.
 */
export function createAccountCorePagesRouter(
  core: Pick<ResetPages, 'inspectResetToken' | 'activateEmail'> & RegistrationPages & Pick<CoreOperations, 'resetPassword'>,
  options: AccountCorePagesOptions,
): express.Router {
  const router = express.Router();
  const page = (res: Response, status: number, name: string, context: object) => {
    res
      .status(status)
      .type('html')
      .send(options.pages.render(`core/pages/${name}.njk`, context));
  };

  router.use((_req, res, next) => {
    // The token in the URL is the secret: keep it out of caches, referrers and frames.
    res.set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    });
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  router.get('/reset/:token', async (req, res) => {
    const checked = await core.inspectResetToken({ token: req.params.token! });
    if (!checked.ok) return page(res, 410, 'reset', { state: 'invalid', message: checked.error.message });
    return page(res, 200, 'reset', { state: 'form', maskedUsername: maskUsername(checked.value.username) });
  });

  // The form posts back to the same URL: the single-use token is what authorises the change.
  router.post('/reset/:token', async (req, res) => {
    const token = req.params.token!;
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    const confirm = typeof req.body?.confirm === 'string' ? req.body.confirm : '';
    const checked = await core.inspectResetToken({ token });
    if (!checked.ok) return page(res, 410, 'reset', { state: 'invalid', message: checked.error.message });
    const maskedUsername = maskUsername(checked.value.username);
    if (password !== confirm) return page(res, 400, 'reset', { state: 'form', maskedUsername, mismatch: true });
    const verdict = await options.rateLimits?.consume('password-change:ip', limitKey.ip(req.ip));
    if (verdict && !verdict.allowed) return page(res, 429, 'reset', { state: 'form', maskedUsername, limited: true });
    const result = await core.resetPassword({ token, newPassword: password });
    if (result.ok) return page(res, 200, 'reset', { state: 'done', maskedUsername });
    if (result.error.code === 'weak_password' || result.error.code === 'invalid_input') {
      return page(res, 400, 'reset', { state: 'form', maskedUsername, message: result.error.message });
    }
    return page(res, 410, 'reset', { state: 'invalid', message: result.error.message });
  });

  router.get('/activate/:token', async (req, res) => {
    const result = await core.activateEmail({ token: req.params.token! });
    if (!result.ok) return page(res, 410, 'activate', { state: 'invalid', message: result.error.message });
    return page(res, 200, 'activate', {
      state: result.value.alreadyActivated ? 'already' : 'activated',
      maskedUsername: maskUsername(result.value.username),
    });
  });

  if (options.registration !== false) {
    router.get('/register/:token', async (req, res) => {
      const link = await core.inspectRegistrationToken({ token: req.params.token! });
      if (!link.ok) return page(res, 410, 'register', { state: 'invalid', message: link.error.message });
      const formToken = issueFormToken(req, res);
      page(res, 200, 'register', { state: 'form', formToken, values: { idType: 'resident-id', usernameKind: 'phone' } });
    });

    router.post('/register/:token', async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const values = Object.fromEntries(
        Object.entries(body).filter(([key, value]) => typeof value === 'string' && !['password', 'confirm', 'answer'].includes(key)),
      ) as Record<string, string>;
      const formToken = issueFormToken(req, res);
      if (!formTokenMatches(req, body.formToken)) return page(res, 403, 'register', { state: 'form', formToken, values, expired: true });
      const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
      if (field('password') !== field('confirm')) return page(res, 400, 'register', { state: 'form', formToken, values, mismatch: true });
      const kind = field('usernameKind');
      const input: RegistrationInput = {
        username: kind === 'email' ? field('email') : kind === 'idNumber' ? field('idNumber') : field('phone'),
        password: field('password'),
        name: field('name'),
        idType: field('idType') === 'other' ? 'other' : 'resident-id',
        idNumber: field('idNumber'),
        phone: field('phone') || null,
        email: field('email') || null,
        securityQuestions: field('question') && field('answer') ? [{ question: field('question'), answer: field('answer') }] : [],
        reRegister: field('reRegister') === 'on',
      };
      const result = await core.registerWithToken({ token: req.params.token!, registration: input });
      if (!result.ok && result.error.code === 'token_invalid') return page(res, 410, 'register', { state: 'invalid', message: result.error.message });
      if (!result.ok) {
        return page(res, 400, 'register', {
          state: 'form',
          formToken,
          values,
          message: result.error.message,
          offerReRegister: result.error.code === 'id_taken',
        });
      }
      return page(res, 201, 'register', {
        state: 'done',
        maskedUsername: result.value.maskedUsername,
        duplicate: result.value.state === 'duplicate-unverified',
        emailSent: result.value.maskedEmail !== null,
      });
    });
  }
  return router;
}

/** Double-submit token: a SameSite=Strict cookie that the form must echo. */
function issueFormToken(req: Request, res: Response): string {
  const token = randomBytes(18).toString('base64url');
  res.cookie(REGISTER_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: `${req.baseUrl}/register` });
  return token;
}

function formTokenMatches(req: Request, sent: unknown): boolean {
  const cookie = (req.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === REGISTER_COOKIE)?.[1];
  if (typeof sent !== 'string' || !cookie || sent.length !== cookie.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(cookie));
}
