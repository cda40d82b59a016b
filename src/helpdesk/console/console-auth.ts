import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AgentDirectory, AgentRole, AgentView } from './agents.js';
import { sameToken, type AgentSession, type SessionStore } from './sessions.js';

export const SESSION_COOKIE = 'chsi_agent';
/** Double-submit cookie protecting the login form, which has no session yet. */
export const LOGIN_CSRF_COOKIE = 'chsi_agent_login';

/** The signed-in agent of a request. */
export interface AgentAuth {
  agent: AgentView;
  session: AgentSession;
  token: string;
}

/** Whether a route answers people (HTML pages) or programs (JSON). */
export type Audience = 'page' | 'api';

export interface ConsoleAuthDeps {
  agents: AgentDirectory;
  sessions: SessionStore;
  /** Sends the cookie with `Secure` when the public URL is https. */
  secureCookies: boolean;
  /** Answers an unauthenticated, forbidden or refused request in the route's style. */
  deny(req: Request, res: Response, status: 401 | 403, code: string, audience: Audience): void;
}

export function authOf(res: Response): AgentAuth | undefined {
  return res.locals.agentAuth as AgentAuth | undefined;
}

/** The signed-in agent; only call behind `requireAgent`. */
export function agentOf(res: Response): AgentView {
  return authOf(res)!.agent;
}

/** Session cookies, CSRF checks and role checks for the console and the agent API. */
export class ConsoleAuth {
  constructor(private readonly deps: ConsoleAuthDeps) {}

  /** Reads the session cookie; a disabled agent's session, or one older than a password change, no longer counts. Never rejects. */
  identify(): RequestHandler {
    return async (req, res, next) => {
      try {
        const token = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
        const session = await this.deps.sessions.resolve(token);
        const agent = session ? await this.deps.agents.get(session.username) : undefined;
        if (session && agent && !agent.disabled && (session.epoch ?? 0) === agent.sessionEpoch)
          res.locals.agentAuth = { agent, session, token: token! } satisfies AgentAuth;
        next();
      } catch (error) {
        next(error);
      }
    };
  }

  requireAgent(audience: Audience): RequestHandler {
    return (req, res, next) => {
      if (!authOf(res)) return this.deps.deny(req, res, 401, 'unauthenticated', audience);
      next();
    };
  }

  requireRole(role: AgentRole, audience: Audience): RequestHandler {
    return (req, res, next) => {
      const auth = authOf(res);
      if (!auth) return this.deps.deny(req, res, 401, 'unauthenticated', audience);
      if (auth.agent.role !== role) return this.deps.deny(req, res, 403, 'forbidden', audience);
      next();
    };
  }

  /**
   * State-changing requests. Forms must carry the session's token (`_csrf`). JSON calls from a
   * browser (they always send `Origin` or `Sec-Fetch-Site`) must carry it in `X-CSRF-Token`;
   * programs that are no browser cannot ride someone's cookie and may omit it.
   */
  requireCsrf(audience: Audience): RequestHandler {
    return (req, res, next) => {
      const auth = authOf(res);
      if (!auth) return this.deps.deny(req, res, 401, 'unauthenticated', audience);
      const given = req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
      if (sameToken(auth.session.csrfToken, given)) return next();
      if (audience === 'api' && given === undefined && !fromBrowser(req)) return next();
      return this.deps.deny(req, res, 403, 'csrf', audience);
    };
  }

  /** Refuses a login posted from another site (login CSRF) and, for forms, without the login token. */
  requireLoginToken(audience: Audience): RequestHandler {
    return (req, res, next) => {
      if (crossSite(req)) return this.deps.deny(req, res, 403, 'csrf', audience);
      if (audience === 'page') {
        const cookie = (req.cookies as Record<string, string> | undefined)?.[LOGIN_CSRF_COOKIE];
        const given = (req.body as Record<string, unknown> | undefined)?._csrf;
        if (!cookie || !sameToken(cookie, given)) return this.deps.deny(req, res, 403, 'csrf', audience);
      }
      next();
    };
  }

  /** A fresh login-form token, also set as a cookie. */
  issueLoginToken(res: Response): string {
    const token = randomBytes(24).toString('base64url');
    res.cookie(LOGIN_CSRF_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: this.deps.secureCookies, path: '/console' });
    return token;
  }

  setSessionCookie(res: Response, token: string, maxAgeMs: number): void {
    res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure: this.deps.secureCookies, path: '/', maxAge: maxAgeMs });
  }

  clearSessionCookie(res: Response): void {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: this.deps.secureCookies, path: '/' });
  }
}

function fromBrowser(req: Request): boolean {
  return req.get('origin') !== undefined || req.get('sec-fetch-site') !== undefined;
}

/**
 * True when the browser says the request comes from another site. `Sec-Fetch-Site` decides when
 * present; `Origin: null` alone proves nothing (our no-referrer policy makes same-site forms send it),
 * the form token still has to match.
 */
function crossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = req.get('origin');
  if (!origin || origin === 'null') return false;
  try {
    return new URL(origin).host !== req.get('host');
  } catch {
    return true;
  }
}

/** Wraps an async handler so its rejections reach express's error handler. */
export function handle(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}
