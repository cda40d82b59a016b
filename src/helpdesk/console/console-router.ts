import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import type nunjucks from 'nunjucks';
import { z } from 'zod';
import { chinaDateTime } from '../../calendar/china-time.js';
import { agentOf, authOf, type ConsoleAuth } from './console-auth.js';
import { statusOf, type ConsoleError, type ConsoleService } from './console-service.js';
import { sendPrivateImage } from '../tickets/image-response.js';
import { screenshotUrl, slaJson } from './presenter.js';
import { SESSION_TTL_MS } from './sessions.js';
import type { Ticket } from '../tickets/ticket-types.js';
import { QUEUE_COUNT_CAP, type QueueRow } from '../tickets/ticket-service.js';
import { proposalSchema } from './learning.js';
import { macroInputSchema } from './macros.js';
import { metricsCsv } from './metrics/metrics-report.js';
import { streamQueueChanges } from './queue-events.js';

export interface ConsolePagesDeps {
  auth: ConsoleAuth;
  console: ConsoleService;
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
  lane: z.enum(['attention', 'user']).catch('attention'),
});

const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/** The agent console: server-rendered pages (nunjucks, autoescaped) with forms protected by CSRF tokens. */
/** What an agent writes on a ticket (a reply or a note). */
const ticketTextSchema = z.string().trim().min(1).max(5000);

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
      lane: query.lane,
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
    const macroId = typeof req.query.macro === 'string' ? req.query.macro : undefined;
    const filled = macroId ? await deps.console.fillMacro(macroId, ticket.id, me) : undefined;
    render(res, 'ticket', {
      ticket,
      view: ticketView(ticket, deps.console),
      topicTitles: ticket.topics.map((id) => deps.console.topicTitle(id)),
      macros: await deps.console.macros(),
      draft: filled?.ok ? filled.value : '',
      suggestions: deps.console.suggestions(ticket),
      agents: me.role === 'admin' ? (await deps.console.listAgents()).filter((agent) => !agent.disabled) : [],
      canWork: me.role === 'admin' || ticket.assignee === null || ticket.assignee === me.username,
      nav: 'tickets',
      notice: req.query.notice,
    });
  });

  router.post('/tickets/:id/reply', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const text = ticketTextSchema.safeParse((req.body as Record<string, unknown>).text);
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

  router.get('/events', (req, res) => void streamQueueChanges(req, res, deps.console));

  router.post('/tickets/:id/urgency', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const urgent = (req.body as Record<string, unknown>).urgent === 'true';
    const result = await deps.console.setUrgency(id, agentOf(res), urgent);
    if (!result.ok) return failPage(res, result.error);
    back(res, `/console/tickets/${encodeURIComponent(id)}`, urgent ? 'urgent-set' : 'urgent-cleared');
  });

  router.post('/tickets/:id/notes', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const text = ticketTextSchema.safeParse((req.body as Record<string, unknown>).text);
    if (!text.success) return back(res, `/console/tickets/${encodeURIComponent(id)}`, 'empty');
    const result = await deps.console.addNote(id, agentOf(res), text.data);
    if (!result.ok)
      return result.error === 'not-found' ? failPage(res, result.error) : back(res, `/console/tickets/${encodeURIComponent(id)}`, result.error);
    back(res, `/console/tickets/${encodeURIComponent(id)}`, 'noted');
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
    const cursor = z.string().max(500).optional().catch(undefined).parse(req.query.cursor);
    const result = await deps.console.reviews({ status, cursor });
    if (!result.ok) return failPage(res, result.error, result.message);
    const { reviews, cursor: next } = result.value;
    render(res, 'reviews', {
      reviews: reviews.map((review) => ({
        ...review,
        createdText: chinaDateTime(review.createdAt).text,
        dueText: review.dueAt ? chinaDateTime(review.dueAt).text : null,
      })),
      status,
      firstPage: cursor ? `/console/reviews?${new URLSearchParams({ status }).toString()}` : null,
      nextPage: next ? `/console/reviews?${new URLSearchParams({ status, cursor: next }).toString()}` : null,
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
      cancelsCount: review.otherHolders.length,
      reasons: deps.console.rejectReasons(),
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

  // Approving cancels accounts for good: a page shows which (masked) and asks to confirm.
  router.get('/reviews/:id/approve', async (req, res) => {
    const result = await deps.console.approvalPreview(param(req, 'id'), agentOf(res));
    if (!result.ok) return failPage(res, result.error, result.message);
    render(res, 'review-approve', { review: result.value.review, cancels: result.value.cancels, nav: 'reviews' });
  });

  router.post('/reviews/:id/decision', form, auth.requireCsrf('page'), async (req, res) => {
    const id = param(req, 'id');
    const body = z
      .object({
        decision: z.enum(['approve', 'reject']),
        reason: z.string().max(500).optional(),
        reasonId: z.string().max(40).optional(),
        confirmed: z.literal('yes').optional(),
      })
      .safeParse(req.body);
    if (!body.success) return back(res, `/console/reviews/${encodeURIComponent(id)}`, 'invalid');
    const { decision, reason, reasonId, confirmed } = body.data;
    const result = await deps.console.decideReview(id, agentOf(res), decision, reason, {
      confirmed: confirmed === 'yes',
      ...(reasonId ? { reasonId } : {}),
    });
    if (!result.ok && result.error === 'confirm-needed') return res.redirect(303, `/console/reviews/${encodeURIComponent(id)}/approve`);
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

  router.get('/unanswered', async (req, res) => {
    const report = await deps.console.unansweredWithMarks();
    const groups = report.map((group) => ({
      ...group,
      lastText: chinaDateTime(group.lastAt).text,
      candidateTopics: group.candidates.map((id) => ({ id, title: deps.console.topicTitle(id) })),
    }));
    render(res, 'unanswered', { groups, topics: deps.console.topics(), nav: 'unanswered', notice: req.query.notice });
  });

  router.post('/unanswered/proposals', form, auth.requireCsrf('page'), async (req, res) => {
    const raw = req.body as Record<string, unknown>;
    const body = proposalSchema.safeParse({
      kind: raw.kind,
      question: raw.question,
      ...(raw.kind === 'example' ? { topic: raw.topic } : {}),
      ...(raw.kind === 'gap' && typeof raw.note === 'string' && raw.note.trim() ? { note: raw.note } : {}),
    });
    if (!body.success) return back(res, '/console/unanswered', 'invalid');
    const result = await deps.console.propose(agentOf(res), body.data);
    back(res, '/console/unanswered', result.ok ? (body.data.kind === 'gap' ? 'gap-marked' : 'example-proposed') : result.error);
  });

  router.get('/learning', async (req, res) => {
    const state = z.enum(['proposed', 'accepted', 'rejected', 'gap']).catch('proposed').parse(req.query.state);
    const items = (await deps.console.proposals(state)).map((item) => ({
      ...item,
      topicTitle: item.topic ? deps.console.topicTitle(item.topic) : null,
      atText: chinaDateTime(item.proposedAt).text,
    }));
    render(res, 'learning', { items, state, nav: 'unanswered', notice: req.query.notice });
  });

  router.post('/learning/:id/decision', auth.requireRole('admin', 'page'), form, auth.requireCsrf('page'), async (req, res) => {
    const accept = (req.body as Record<string, unknown>).decision === 'accept';
    const result = await deps.console.decideProposal(agentOf(res), param(req, 'id'), accept);
    if (!result.ok && result.error === 'not-found') return failPage(res, 'not-found');
    back(res, '/console/learning', result.ok ? (accept ? 'example-accepted' : 'example-rejected') : result.error);
  });

  router.get('/metrics', async (req, res) => {
    const days = z.coerce.number().int().min(7).max(90).catch(30).parse(req.query.days);
    const report = await deps.console.metrics(days);
    render(res, 'metrics', {
      report,
      days,
      topUnanswered: report.topUnanswered.map((group) => ({
        ...group,
        topics: group.candidates.slice(0, 3).map((id) => deps.console.topicTitle(id)),
      })),
      nav: 'metrics',
    });
  });

  router.get('/metrics.csv', async (req, res) => {
    const days = z.coerce.number().int().min(1).max(366).catch(30).parse(req.query.days);
    const report = await deps.console.metrics(days);
    res
      .type('text/csv; charset=utf-8')
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Content-Disposition', `attachment; filename="helpdesk-metrics-${report.from}-${report.to}.csv"`)
      .send(metricsCsv(report));
  });

  router.get('/macros', async (req, res) => {
    render(res, 'macros', { macros: await deps.console.macros(), nav: 'macros', notice: req.query.notice });
  });

  router.post('/macros', auth.requireRole('admin', 'page'), form, auth.requireCsrf('page'), async (req, res) => {
    const raw = req.body as Record<string, unknown>;
    const body = macroInputSchema.safeParse({ title: raw.title, body: raw.body });
    if (!body.success) return back(res, '/console/macros', 'macro-invalid');
    const id = typeof raw.id === 'string' && raw.id ? raw.id : undefined;
    const result = await deps.console.saveMacro(agentOf(res), body.data, id);
    back(res, '/console/macros', result.ok ? 'macro-saved' : result.error);
  });

  router.post('/macros/:id/delete', auth.requireRole('admin', 'page'), form, auth.requireCsrf('page'), async (req, res) => {
    const result = await deps.console.deleteMacro(agentOf(res), param(req, 'id'));
    back(res, '/console/macros', result.ok ? 'macro-deleted' : result.error);
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
      // Times inside the details read as China time too, like every other time on the page.
      facts: Object.entries(entry.details ?? {}).map(([key, value]) => ({
        key,
        value: typeof value === 'string' && ISO_INSTANT.test(value) ? chinaDateTime(value).text : value,
      })),
    }));
    render(res, 'audit', { entries, actor, nav: 'audit' });
  });

  router.get('/agents', auth.requireRole('admin', 'page'), async (req, res) => {
    const agents = (await deps.console.listAgents()).map((agent) => ({
      ...agent,
      lastLoginText: agent.lastLoginAt ? chinaDateTime(agent.lastLoginAt).text : null,
      createdText: chinaDateTime(agent.createdAt).text,
    }));
    render(res, 'agents', { agents, nav: 'agents', notice: req.query.notice });
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

/** Notes go into the transcript by time, marked so the page shows them apart from what the user saw. */
function withNotes(ticket: Ticket) {
  const notes = (ticket.notes ?? []).map((note) => ({ at: note.at, from: 'note' as const, agent: note.agent, text: note.text }));
  return [...ticket.transcript, ...notes].sort((a, b) => a.at.localeCompare(b.at));
}

function ticketView(ticket: Ticket, service: ConsoleService) {
  const names = new Map(ticket.screenshots.map((shot) => [shot.id, shot.name]));
  const { sla, missing } = service.standing(ticket);
  return {
    sla: slaJson(sla, ticket.sla),
    dueText: ticket.sla.dueAt ? chinaDateTime(ticket.sla.dueAt).text : null,
    createdText: chinaDateTime(ticket.createdAt).text,
    respondedText: ticket.sla.respondedAt ? chinaDateTime(ticket.sla.respondedAt).text : null,
    urgency: ticket.urgency ?? { urgent: false, suggestedWords: [] },
    urgencySetText: ticket.urgency?.setAt ? chinaDateTime(ticket.urgency.setAt).text : null,
    missing,
    screenshots: ticket.screenshots.map((shot) => ({ ...shot, url: consoleScreenshotUrl(shot.id), kb: Math.max(1, Math.round(shot.size / 1024)) })),
    transcript: withNotes(ticket).map((entry) => ({
      ...entry,
      atText: chinaDateTime(entry.at).text,
      shots: ('screenshotIds' in entry ? (entry.screenshotIds ?? []) : []).map((id) => ({
        url: consoleScreenshotUrl(id),
        name: names.get(id) ?? '',
      })),
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
