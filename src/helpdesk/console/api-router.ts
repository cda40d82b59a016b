import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { Render } from '../../render/renderer.js';
import { agentOf, authOf, type ConsoleAuth } from './console-auth.js';
import { statusOf, type ConsoleError, type ConsoleService } from './console-service.js';
import { sendPrivateImage } from '../tickets/image-response.js';
import { queueRowJson, ticketJson } from './presenter.js';
import { SESSION_TTL_MS } from './sessions.js';
import type { QueueFilter } from '../tickets/ticket-service.js';
import { proposalSchema } from './learning.js';
import { macroInputSchema } from './macros.js';
import { metricsCsv } from './metrics/metrics-report.js';
import { streamQueueChanges } from './queue-events.js';

export interface AgentApiDeps {
  auth: ConsoleAuth;
  console: ConsoleService;
  render: Render;
}

const loginSchema = z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) }).strict();
const replySchema = z.object({ text: z.string().trim().min(1).max(5000) }).strict();
const assignSchema = z.object({ assignee: z.string().trim().min(1).max(64).nullable() }).strict();
// JSON clients confirm an approval by calling; `confirm: false` asks for the preview's refusal instead.
const decisionSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    reason: z.string().max(500).optional(),
    reasonId: z.string().max(40).optional(),
    confirm: z.boolean().default(true),
  })
  .strict();
const urgencySchema = z.object({ urgent: z.boolean() }).strict();
const noteSchema = z.object({ text: z.string().trim().min(1).max(5000) }).strict();
const proposalDecisionSchema = z.object({ decision: z.enum(['accept', 'reject']) }).strict();
const agentSchema = z
  .object({ username: z.string().trim().min(2).max(64), password: z.string().min(1).max(128), role: z.enum(['admin', 'agent']) })
  .strict();
const agentChangeSchema = z
  .object({ role: z.enum(['admin', 'agent']).optional(), disabled: z.boolean().optional(), password: z.string().min(1).max(128).optional() })
  .strict();
const passwordSchema = z.object({ current: z.string().min(1).max(256), next: z.string().min(1).max(128) }).strict();
const statusSchema = z.enum(['open', 'closed', 'all']).optional();
const channelSchema = z.enum(['web', 'wechat', 'wechaty', 'email', 'terminal']).optional();
const slaSchema = z.enum(['breached', 'warning', 'not-covered']).optional();
const pagingSchema = z.object({ cursor: z.string().max(500).optional(), limit: z.coerce.number().int().min(1).max(200).optional() });
const laneSchema = z.enum(['attention', 'user']).optional();

/**
 * The agent API (docs/api.md): a JSON mirror of the console. Every route but login answers
 * 401 without a session; admin routes answer 403 to agents.
 */
export function createAgentApiRouter(deps: AgentApiDeps): express.Router {
  const router = express.Router();
  const { auth } = deps;
  const json = express.json({ limit: '64kb', type: 'application/json' });
  const fail = (res: Response, status: number, code: string, message?: string) =>
    res.status(status).json({ error: message ?? deps.render('console/api-error', { code }), code });
  const failWith = (res: Response, error: ConsoleError, message?: string) => fail(res, statusOf(error), error, message);
  const bad = (res: Response) => fail(res, 400, 'invalid');
  const param = (req: Request, name: string) => String(req.params[name] ?? '');

  router.post('/login', auth.requireLoginToken('api'), json, async (req, res) => {
    const body = loginSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.login(body.data.username, body.data.password, req.ip ?? 'unknown');
    if (!result.ok) {
      if (result.retryAfterSeconds) res.setHeader('Retry-After', String(result.retryAfterSeconds));
      return failWith(res, result.error);
    }
    const { agent, token, session } = result.value;
    auth.setSessionCookie(res, token, SESSION_TTL_MS);
    res.json({ agent: { username: agent.username, role: agent.role }, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
  });

  // Everything below needs a signed-in agent.
  router.use(auth.requireAgent('api'));

  router.post('/logout', auth.requireCsrf('api'), async (req, res) => {
    await deps.console.logout(agentOf(res), authOf(res)?.token);
    auth.clearSessionCookie(res);
    res.json({ ok: true });
  });

  router.get('/me', (_req, res) => {
    const agent = agentOf(res);
    res.json({ username: agent.username, role: agent.role });
  });

  const queueFilter = (req: Request, res: Response): QueueFilter | undefined => {
    const status = statusSchema.safeParse(req.query.status ?? undefined);
    const channel = channelSchema.safeParse(req.query.channel ?? undefined);
    const sla = slaSchema.safeParse(req.query.sla ?? undefined);
    const paging = pagingSchema.safeParse({ cursor: req.query.cursor ?? undefined, limit: req.query.limit ?? undefined });
    const lane = laneSchema.safeParse(req.query.lane ?? undefined);
    if (!status.success || !channel.success || !sla.success || !paging.success || !lane.success) return undefined;
    const assignee = typeof req.query.assignee === 'string' ? (req.query.assignee === 'me' ? agentOf(res).username : req.query.assignee) : undefined;
    return {
      status: status.data,
      channel: channel.data,
      sla: sla.data,
      assignee,
      query: typeof req.query.q === 'string' ? req.query.q : undefined,
      ...(lane.data ? { lane: lane.data } : {}),
      ...paging.data,
    };
  };

  // The contract's list: a JSON array (one page); the next page is linked in the `Link` header.
  router.get('/tickets', async (req, res) => {
    const filter = queueFilter(req, res);
    if (!filter) return bad(res);
    const page = await deps.console.queuePage(filter);
    if (page.cursor) {
      const next = new URLSearchParams(Object.entries(req.query).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
      next.set('cursor', page.cursor);
      res.setHeader('Link', `</api/agent/tickets?${next.toString()}>; rel="next"`);
    }
    res.json(page.rows.map(queueRowJson));
  });

  // The same page with its cursor and the counts per filter, for clients that page.
  router.get('/queue', async (req, res) => {
    const filter = queueFilter(req, res);
    if (!filter) return bad(res);
    const page = await deps.console.queuePage(filter);
    res.json({ rows: page.rows.map(queueRowJson), cursor: page.cursor, counts: page.counts });
  });

  router.get('/tickets/:id', async (req, res) => {
    const result = await deps.console.ticket(param(req, 'id'), agentOf(res));
    if (!result.ok) return failWith(res, result.error);
    const ticket = result.value;
    const { sla, missing } = deps.console.standing(ticket);
    res.json(ticketJson(ticket, sla, missing));
  });

  router.get('/tickets/:id/suggestions', async (req, res) => {
    const result = await deps.console.suggestionsFor(param(req, 'id'));
    if (!result.ok) return failWith(res, result.error);
    res.json({ suggestions: result.value });
  });

  router.get('/events', (req, res) => void streamQueueChanges(req, res, deps.console));

  router.post('/tickets/:id/urgency', auth.requireCsrf('api'), json, async (req, res) => {
    const body = urgencySchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.setUrgency(param(req, 'id'), agentOf(res), body.data.urgent);
    if (!result.ok) return failWith(res, result.error);
    res.json({ id: result.value.id, urgency: result.value.urgency });
  });

  router.post('/tickets/:id/notes', auth.requireCsrf('api'), json, async (req, res) => {
    const body = noteSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.addNote(param(req, 'id'), agentOf(res), body.data.text);
    if (!result.ok) return failWith(res, result.error);
    res.status(201).json({ id: result.value.id, notes: result.value.notes ?? [] });
  });

  router.get('/tickets/:id/macros/:macroId', async (req, res) => {
    const result = await deps.console.fillMacro(param(req, 'macroId'), param(req, 'id'), agentOf(res));
    if (!result.ok) return failWith(res, result.error);
    res.json({ text: result.value });
  });

  router.get('/macros', async (_req, res) => {
    res.json({ macros: await deps.console.macros() });
  });

  router.post('/macros', auth.requireRole('admin', 'api'), auth.requireCsrf('api'), json, async (req, res) => {
    const body = macroInputSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.saveMacro(agentOf(res), body.data);
    if (!result.ok) return failWith(res, result.error);
    res.status(201).json(result.value);
  });

  router.post('/macros/:id', auth.requireRole('admin', 'api'), auth.requireCsrf('api'), json, async (req, res) => {
    const body = macroInputSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.saveMacro(agentOf(res), body.data, param(req, 'id'));
    if (!result.ok) return failWith(res, result.error);
    res.json(result.value);
  });

  router.delete('/macros/:id', auth.requireRole('admin', 'api'), auth.requireCsrf('api'), async (req, res) => {
    const result = await deps.console.deleteMacro(agentOf(res), param(req, 'id'));
    if (!result.ok) return failWith(res, result.error);
    res.json({ ok: true });
  });

  router.get('/reject-reasons', (_req, res) => {
    res.json({ reasons: deps.console.rejectReasons() });
  });

  router.post('/learning', auth.requireCsrf('api'), json, async (req, res) => {
    const body = proposalSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.propose(agentOf(res), body.data);
    if (!result.ok) return failWith(res, result.error);
    res.status(201).json(result.value);
  });

  router.get('/learning', async (req, res) => {
    const state = z
      .enum(['proposed', 'accepted', 'rejected', 'gap'])
      .optional()
      .safeParse(req.query.state ?? undefined);
    if (!state.success) return bad(res);
    res.json({ items: await deps.console.proposals(state.data ?? 'proposed') });
  });

  router.post('/learning/:id/decision', auth.requireRole('admin', 'api'), auth.requireCsrf('api'), json, async (req, res) => {
    const body = proposalDecisionSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.decideProposal(agentOf(res), param(req, 'id'), body.data.decision === 'accept');
    if (!result.ok) return failWith(res, result.error, result.message);
    res.json(result.value);
  });

  router.get('/metrics', async (req, res) => {
    const days = z.coerce
      .number()
      .int()
      .min(1)
      .max(366)
      .optional()
      .safeParse(req.query.days ?? undefined);
    if (!days.success) return bad(res);
    const { charts: _charts, ...report } = await deps.console.metrics(days.data ?? 30);
    if (req.query.format === 'csv') return void res.type('text/csv; charset=utf-8').send(metricsCsv({ ...report, charts: _charts }));
    res.json(report);
  });

  router.post('/tickets/:id/replies', auth.requireCsrf('api'), json, async (req, res) => {
    const body = replySchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.reply(param(req, 'id'), agentOf(res), body.data.text);
    if (!result.ok) return failWith(res, result.error);
    res
      .status(201)
      .json({ delivery: result.value.delivery, ticket: ticketJson(result.value.ticket, deps.console.standing(result.value.ticket).sla, []) });
  });

  router.post('/tickets/:id/assign', auth.requireCsrf('api'), json, async (req, res) => {
    const body = assignSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.assign(param(req, 'id'), agentOf(res), body.data.assignee);
    if (!result.ok) return failWith(res, result.error);
    res.json({ id: result.value.id, assignee: result.value.assignee });
  });

  for (const action of ['close', 'reopen'] as const) {
    router.post(`/tickets/:id/${action}`, auth.requireCsrf('api'), async (req, res) => {
      const result = await deps.console[action](param(req, 'id'), agentOf(res));
      if (!result.ok) return failWith(res, result.error);
      res.json({ id: result.value.id, status: result.value.status });
    });
  }

  router.get('/screenshots/:id', async (req, res) => {
    const result = await deps.console.screenshot(param(req, 'id'), agentOf(res));
    if (!result.ok) return failWith(res, result.error);
    sendPrivateImage(res, result.value, `screenshot-${result.value.ticketId}`);
  });

  router.get('/reviews', async (req, res) => {
    const status = z
      .enum(['pending', 'rejected', 'approved'])
      .optional()
      .safeParse(req.query.status ?? undefined);
    const paging = pagingSchema.safeParse({ cursor: req.query.cursor ?? undefined, limit: req.query.limit ?? undefined });
    if (!status.success || !paging.success) return bad(res);
    const result = await deps.console.reviews({ status: status.data, ...paging.data });
    if (!result.ok) return failWith(res, result.error, result.message);
    res.json({ reviews: result.value.reviews, cursor: result.value.cursor });
  });

  router.get('/reviews/:id', async (req, res) => {
    const result = await deps.console.review(param(req, 'id'), agentOf(res));
    if (!result.ok) return failWith(res, result.error, result.message);
    const { front: _front, back: _back, ...review } = result.value;
    const base = `/api/agent/reviews/${encodeURIComponent(review.id)}/photos`;
    res.json({ ...review, photos: { front: `${base}/front`, back: `${base}/back` } });
  });

  router.get('/reviews/:id/approval', async (req, res) => {
    const result = await deps.console.approvalPreview(param(req, 'id'), agentOf(res));
    if (!result.ok) return failWith(res, result.error, result.message);
    res.json(result.value);
  });

  router.get('/reviews/:id/photos/:side', async (req, res) => {
    const side = z.enum(['front', 'back']).safeParse(req.params.side);
    if (!side.success) return failWith(res, 'not-found');
    const result = await deps.console.reviewPhoto(param(req, 'id'), side.data);
    if (!result.ok) return failWith(res, result.error);
    sendPrivateImage(res, result.value, `review-${side.data}`);
  });

  router.post('/reviews/:id/decision', auth.requireCsrf('api'), json, async (req, res) => {
    const body = decisionSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const { decision, reason, reasonId, confirm } = body.data;
    const result = await deps.console.decideReview(param(req, 'id'), agentOf(res), decision, reason, {
      confirmed: confirm,
      ...(reasonId ? { reasonId } : {}),
    });
    if (!result.ok) return failWith(res, result.error, result.message);
    res.json(result.value);
  });

  router.get('/outbox', async (_req, res) => {
    const result = await deps.console.outbox();
    if (!result.ok) return failWith(res, result.error);
    res.json(result.value);
  });

  router.get('/unanswered', async (_req, res) => {
    res.json({ groups: await deps.console.unanswered() });
  });

  router.post('/password', auth.requireCsrf('api'), json, async (req, res) => {
    const body = passwordSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.changeOwnPassword(agentOf(res), body.data.current, body.data.next);
    if (!result.ok) return failWith(res, result.error);
    auth.setSessionCookie(res, result.value.token, SESSION_TTL_MS);
    res.json({ ok: true, csrfToken: result.value.session.csrfToken });
  });

  // ---- admin only ----
  router.get('/audit', auth.requireRole('admin', 'api'), async (req, res) => {
    const actor = typeof req.query.actor === 'string' ? req.query.actor : undefined;
    const target = typeof req.query.target === 'string' ? req.query.target : undefined;
    res.json({ entries: await deps.console.audit(500, { actor, target }) });
  });

  router.get('/agents', auth.requireRole('admin', 'api'), async (_req, res) => {
    res.json({ agents: await deps.console.listAgents() });
  });

  router.post('/agents', auth.requireRole('admin', 'api'), auth.requireCsrf('api'), json, async (req, res) => {
    const body = agentSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.createAgent(agentOf(res), body.data);
    if (!result.ok) return failWith(res, result.error);
    res.status(201).json(result.value);
  });

  router.get('/agents/:username', auth.requireRole('admin', 'api'), async (req, res) => {
    const result = await deps.console.agent(param(req, 'username'));
    if (!result.ok) return failWith(res, result.error);
    res.json(result.value);
  });

  router.post('/agents/:username', auth.requireRole('admin', 'api'), auth.requireCsrf('api'), json, async (req, res) => {
    const body = agentChangeSchema.safeParse(req.body);
    if (!body.success) return bad(res);
    const result = await deps.console.updateAgent(agentOf(res), param(req, 'username'), body.data);
    if (!result.ok) return failWith(res, result.error);
    res.json(result.value);
  });

  // Unknown agent routes: still behind the session check above, so strangers learn nothing.
  router.use((_req, res) => void fail(res, 404, 'not-found'));
  return router;
}
