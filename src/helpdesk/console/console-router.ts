import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type nunjucks from 'nunjucks';
import { z } from 'zod';
import type { AgentDirectory } from './agents.js';
import type { AuditTrail } from '../tickets/audit.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import { agentOf, authOf, type ConsoleAuth } from './console-auth.js';
import { statusOf, type ConsoleError, type ConsoleService } from './console-service.js';
import { sendPrivateImage } from '../tickets/image-response.js';
import { screenshotUrl, slaJson } from './presenter.js';
import { SESSION_TTL_MS, type SessionStore } from './sessions.js';
import type { Ticket } from '../tickets/ticket-types.js';
import { QUEUE_COUNT_CAP, type QueueRow, type TicketService } from '../tickets/ticket-service.js';

export interface ConsolePagesDeps {
  auth: ConsoleAuth;
  agents: AgentDirectory;
  sessions: SessionStore;
  console: ConsoleService;
  tickets: TicketService;
  audit: AuditTrail;
  pages: nunjucks.Environment;
  clock: () => Date;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const queueQuery = z.object({
  status: z.enum(['open', 'closed', 'all']).catch('open'),
  channel: z.enum(['web', 'wechat', 'wechaty', 'email', 'terminal']).optional().catch(undefined),
  assignee: z.string().max(64).optional().catch(undefined),
  sla: z.enum(['breached', 'warning', 'not-covered']).optional().catch(undefined),
  q: z.string().max(100).optional().catch(undefined),
  cursor: z.string().max(500).optional().catch(undefined),
});

/** The agent console: server-rendered pages (nunjucks, autoescaped) with forms protected by CSRF tokens. */
export function createConsoleRouter(deps: ConsolePagesDeps): express.Router {
  const router = express.Router();
  const { auth } = deps;
  const form = express.urlencoded({ extended: false, limit: '64kb' });
  const param = (req: Request, name: string) => String(req.params[name] ?? '');

  const render = (res: Response, template: string, vars: Record<string, unknown> = {}, status = 200) => {
    const current = authOf(res);
    const html = deps.pages.render(`console/${template}.njk`, {
      agent: current?.agent ?? null,
      csrfToken: current?.session.csrfToken ?? null,
      ...vars,
    });
    res.status(status).type('html').setHeader('Cache-Control', 'no-store').send(html);
  };
  const failPage = (res: Response, error: ConsoleError, message?: string) => render(res, 'error', { code: error, message }, statusOf(error));
  const back = (res: Response, to: string, notice: string) =>
    res.redirect(303, `${to}${to.includes('?') ? '&' : '?'}notice=${encodeURIComponent(notice)}`);

  router.use('/static', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }));

  router.get('/login', (_req, res) => {
    if (authOf(res)) return res.redirect(303, '/console/tickets');
    render(res, 'login', { loginToken: auth.issueLoginToken(res) });
  });

  router.post('/login', form, auth.requireLoginToken('page'), async (req, res) => {
    const body = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }).safeParse(req.body);
    if (!body.success) return render(res, 'login', { loginToken: auth.issueLoginToken(res), failure: 'wrong-credentials' }, 401);
    const result = await deps.console.login(body.data.username, body.data.password, req.ip ?? 'unknown');
    if (!result.ok) {
      const failure = {
        loginToken: auth.issueLoginToken(res),
        failure: result.error,
        retryAfterSeconds: result.retryAfterSeconds,
        username: body.data.username,
      };
      return render(res, 'login', failure, result.error === 'throttled' ? 429 : 401);
    }
    auth.setSessionCookie(res, result.value.token, SESSION_TTL_MS);
    res.redirect(303, '/console/tickets');
  });

  // Everything below needs a signed-in agent: 401 with the login form otherwise.
  router.use((req, res, next) => {
    if (authOf(res)) return next();
    render(res, 'login', { loginToken: auth.issueLoginToken(res), failure: 'unauthenticated' }, 401);
  });

  router.post('/logout', form, auth.requireCsrf('page'), async (req, res) => {
    await deps.console.logout(agentOf(res), authOf(res)?.token);
    auth.clearSessionCookie(res);
    res.redirect(303, '/console/login');
  });

  router.get('/', (_req, res) => res.redirect(303, '/console/tickets'));

  router.get('/tickets', async (req, res) => {
    const query = queueQuery.parse(req.query);
    const me = agentOf(res);
    const assignee = query.assignee === 'me' ? me.username : query.assignee || undefined;
    const page = await deps.console.queuePage({
      status: query.status,
      channel: query.channel,
      assignee,
      sla: query.sla,
      query: query.q,
      cursor: query.cursor,
    });
    const { cursor: _current, ...kept } = query;
    const nextPage = page.cursor ? `/console/tickets?${new URLSearchParams({ ...definedOnly(kept), cursor: page.cursor }).toString()}` : null;
    render(res, 'queue', {
      rows: page.rows.map(queueRowView),
      counts: page.counts,
      countCap: QUEUE_COUNT_CAP,
      nextPage,
      filter: query,
      nav: 'tickets',
      notice: req.query.notice,
    });
  });

  router.get('/tickets/:id', async (req, res) => {
    const result = await deps.console.ticket(param(req, 'id'), agentOf(res));
    if (!result.ok) return failPage(res, result.error);
    const ticket = result.value;
    const me = agentOf(res);
    render(res, 'ticket', {
      ticket,
      view: ticketView(ticket, deps.tickets),
      suggestions: deps.console.suggestions(ticket),
      agents: me.role === 'admin' ? (await deps.console.listAgents()).filter((agent) => !agent.disabled) : [],
      canWork: me.role === 'admin' || ticket.assignee === null || ticket.assignee === me.username,
      nav: 'tickets',
      notice: req.query.notice,
    });
  });

  router.post('/tickets/:id/reply', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const text = z
      .string()
      .trim()
      .min(1)
      .max(5000)
      .safeParse((req.body as Record<string, unknown>).text);
    if (!text.success) return back(res, `/console/tickets/${encodeURIComponent(id)}`, 'empty');
    const result = await deps.console.reply(id, agentOf(res), text.data);
    if (!result.ok)
      return result.error === 'forbidden' || result.error === 'not-found'
        ? failPage(res, result.error)
        : back(res, `/console/tickets/${encodeURIComponent(id)}`, result.error);
    back(res, `/console/tickets/${encodeURIComponent(id)}`, result.value.delivery === 'failed' ? 'reply-failed' : 'replied');
  });

  router.post('/tickets/:id/assign', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const raw = String((req.body as Record<string, unknown>).assignee ?? '').trim();
    const result = await deps.console.assign(id, agentOf(res), raw === '' ? null : raw);
    if (!result.ok)
      return result.error === 'forbidden' || result.error === 'not-found'
        ? failPage(res, result.error)
        : back(res, `/console/tickets/${encodeURIComponent(id)}`, result.error);
    back(res, `/console/tickets/${encodeURIComponent(id)}`, 'assigned');
  });

  for (const action of ['close', 'reopen'] as const) {
    router.post(`/tickets/:id/${action}`, form, auth.requireCsrf('page'), async (req, res) => {
      const id = param(req, 'id');
      const result = await deps.console[action](id, agentOf(res));
      if (!result.ok)
        return result.error === 'forbidden' || result.error === 'not-found'
          ? failPage(res, result.error)
          : back(res, `/console/tickets/${encodeURIComponent(id)}`, result.error);
      back(res, `/console/tickets/${encodeURIComponent(id)}`, action === 'close' ? 'closed' : 'reopened');
    });
  }

  router.get('/screenshots/:id', async (req, res) => {
    const result = await deps.console.screenshot(param(req, 'id'), agentOf(res));
    if (!result.ok) return failPage(res, result.error);
    sendPrivateImage(res, result.value, `screenshot-${result.value.ticketId}`);
  });

  router.get('/reviews', async (req, res) => {
    const status = z.enum(['pending', 'rejected', 'approved']).catch('pending').parse(req.query.status);
    const result = await deps.console.reviews(status);
    if (!result.ok) return failPage(res, result.error, result.message);
    render(res, 'reviews', {
      reviews: result.value.map((review) => ({
        ...review,
        createdText: chinaDateTime(review.createdAt).text,
        dueText: review.dueAt ? chinaDateTime(review.dueAt).text : null,
      })),
      status,
      nav: 'reviews',
      notice: req.query.notice,
    });
  });

  router.get('/reviews/:id', async (req, res) => {
    const result = await deps.console.review(param(req, 'id'), agentOf(res));
    if (!result.ok) return failPage(res, result.error, result.message);
    const { front: _front, back: _back, ...review } = result.value;
    const base = `/console/reviews/${encodeURIComponent(review.id)}/photos`;
    render(res, 'review', {
      review: { ...review, createdText: chinaDateTime(review.createdAt).text, dueText: review.dueAt ? chinaDateTime(review.dueAt).text : null },
      photos: { front: `${base}/front`, back: `${base}/back` },
      nav: 'reviews',
      notice: req.query.notice,
    });
  });

  router.get('/reviews/:id/photos/:side', async (req, res) => {
    const side = z.enum(['front', 'back']).safeParse(req.params.side);
    if (!side.success) return failPage(res, 'not-found');
    const result = await deps.console.reviewPhoto(param(req, 'id'), side.data);
    if (!result.ok) return failPage(res, result.error);
    sendPrivateImage(res, result.value, `review-${side.data}`);
  });

  router.post('/reviews/:id/decision', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const body = z.object({ decision: z.enum(['approve', 'reject']), reason: z.string().max(500).optional() }).safeParse(req.body);
    if (!body.success) return back(res, `/console/reviews/${encodeURIComponent(id)}`, 'invalid');
    const result = await deps.console.decideReview(id, agentOf(res), body.data.decision, body.data.reason);
    if (!result.ok)
      return result.error === 'not-found'
        ? failPage(res, result.error)
        : back(res, `/console/reviews/${encodeURIComponent(id)}`, result.error === 'invalid' ? 'reason-needed' : result.error);
    back(res, '/console/reviews', body.data.decision === 'approve' ? 'approved' : 'rejected');
  });

  router.get('/outbox', async (_req, res) => {
    const result = await deps.console.outbox();
    if (!result.ok) return failPage(res, result.error);
    const at = <T extends { createdAt?: string; at?: string }>(item: T) => ({
      ...item,
      atText: chinaDateTime(item.createdAt ?? item.at ?? new Date(0).toISOString()).text,
    });
    render(res, 'outbox', { core: result.value.core.map(at), mail: result.value.mail.map(at), nav: 'outbox' });
  });

  router.get('/unanswered', async (_req, res) => {
    const groups = (await deps.console.unanswered()).map((group) => ({ ...group, lastText: chinaDateTime(group.lastAt).text }));
    render(res, 'unanswered', { groups, nav: 'unanswered' });
  });

  router.get('/account', (req, res) => render(res, 'account', { nav: 'account', notice: req.query.notice }));

  router.post('/account/password', form, auth.requireCsrf('page'), async (req, res) => {
    const body = z.object({ current: z.string().min(1).max(256), next: z.string().min(1).max(128) }).safeParse(req.body);
    if (!body.success) return back(res, '/console/account', 'invalid');
    const result = await deps.console.changeOwnPassword(agentOf(res), body.data.current, body.data.next);
    if (result.ok) auth.setSessionCookie(res, result.value.token, SESSION_TTL_MS);
    back(res, '/console/account', result.ok ? 'password-changed' : result.error);
  });

  // ---- admin only ----
  router.get('/audit', auth.requireRole('admin', 'page'), async (req, res) => {
    const actor = typeof req.query.actor === 'string' && req.query.actor ? req.query.actor : undefined;
    const entries = (await deps.console.audit(500, { actor })).map((entry) => ({
      ...entry,
      atText: chinaDateTime(entry.at).text,
      detailsText: entry.details ? JSON.stringify(entry.details) : '',
    }));
    render(res, 'audit', { entries, actor, nav: 'audit' });
  });

  router.get('/agents', auth.requireRole('admin', 'page'), async (req, res) => {
    render(res, 'agents', { agents: await deps.console.listAgents(), nav: 'agents', notice: req.query.notice });
  });

  router.post('/agents', auth.requireRole('admin', 'page'), form, auth.requireCsrf('page'), async (req, res) => {
    const body = z
      .object({ username: z.string().trim().min(2).max(64), password: z.string().min(1).max(128), role: z.enum(['admin', 'agent']) })
      .safeParse(req.body);
    if (!body.success) return back(res, '/console/agents', 'invalid');
    const result = await deps.console.createAgent(agentOf(res), body.data);
    back(res, '/console/agents', result.ok ? 'agent-created' : result.error);
  });

  router.post('/agents/:username', auth.requireRole('admin', 'page'), form, auth.requireCsrf('page'), async (req, res) => {
    const raw = req.body as Record<string, unknown>;
    const change: { role?: 'admin' | 'agent'; disabled?: boolean; password?: string } = {};
    if (raw.role === 'admin' || raw.role === 'agent') change.role = raw.role;
    if (raw.disabled === 'true' || raw.disabled === 'false') change.disabled = raw.disabled === 'true';
    if (typeof raw.password === 'string' && raw.password !== '') change.password = raw.password;
    const result = await deps.console.updateAgent(agentOf(res), param(req, 'username'), change);
    if (!result.ok && result.error === 'not-found') return failPage(res, 'not-found');
    back(res, '/console/agents', result.ok ? 'agent-updated' : result.error);
  });

  router.use((_req, res) => failPage(res, 'not-found'));
  return router;
}

function queueRowView(row: QueueRow) {
  return {
    ...row,
    slaView: slaJson(row.sla, {
      dueAt: row.dueAt,
      respondedAt: row.respondedAt,
      notCovered: row.notCovered ?? undefined,
      provisional: row.provisional,
    }),
    dueText: row.dueAt ? chinaDateTime(row.dueAt).text : null,
    createdText: chinaDateTime(row.createdAt).text,
  };
}

function ticketView(ticket: Ticket, tickets: TicketService) {
  const names = new Map(ticket.screenshots.map((shot) => [shot.id, shot.name]));
  return {
    sla: slaJson(tickets.slaOf(ticket), ticket.sla),
    dueText: ticket.sla.dueAt ? chinaDateTime(ticket.sla.dueAt).text : null,
    createdText: chinaDateTime(ticket.createdAt).text,
    respondedText: ticket.sla.respondedAt ? chinaDateTime(ticket.sla.respondedAt).text : null,
    missing: tickets.missingItems(ticket),
    screenshots: ticket.screenshots.map((shot) => ({ ...shot, url: consoleScreenshotUrl(shot.id), kb: Math.max(1, Math.round(shot.size / 1024)) })),
    transcript: ticket.transcript.map((entry) => ({
      ...entry,
      atText: chinaDateTime(entry.at).text,
      shots: (entry.screenshotIds ?? []).map((id) => ({ url: consoleScreenshotUrl(id), name: names.get(id) ?? '' })),
    })),
  };
}

/** The console's own screenshot URL (same checks and headers as the API's). */
function consoleScreenshotUrl(id: string): string {
  return screenshotUrl(id).replace('/api/agent/', '/console/');
}

function definedOnly(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((pair): pair is [string, string] => pair[1] !== undefined && pair[1] !== ''));
}
