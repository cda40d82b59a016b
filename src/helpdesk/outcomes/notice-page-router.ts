import { Router } from 'express';
import type { AccountCore } from '../../account-core/types.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import type { TicketService } from '../tickets/ticket-service.js';
import type { SignedLinks } from './signed-links.js';

export interface NoticePageDeps {
  links: SignedLinks;
  tickets: Pick<TicketService, 'get'>;
  core: Pick<AccountCore, 'getReview'>;
  pages: { render(name: string, context: object): string };
}

/**
 * `/helpdesk/notices/<token>`: the page a WeChat template message links to. It shows only what
 * the signed token names: the agents' replies on that ticket, or a review's decision and reason
 * (never photos, ID numbers or anything else of the account). An unknown, forged or expired
 * token gets the same "link not valid" page.
 */
export function createNoticePageRouter(deps: NoticePageDeps): Router {
  const router = Router();
  router.get('/helpdesk/notices/:token', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const page = await noticePage(deps, req.params.token);
    res
      .status(page ? 200 : 404)
      .type('html')
      .send(deps.pages.render('helpdesk/pages/notice.njk', page ?? { invalid: true }));
  });
  return router;
}

async function noticePage(deps: NoticePageDeps, token: string): Promise<object | undefined> {
  const ref = await deps.links.verify(token);
  if (!ref) return undefined;
  if (ref.kind === 'ticket') {
    const ticket = await deps.tickets.get(ref.id);
    if (!ticket) return undefined;
    const replies = ticket.transcript
      .filter((entry) => entry.from === 'agent' && entry.delivery !== 'failed')
      .map((entry) => ({ at: chinaDateTime(entry.at).text, text: entry.text }))
      .reverse();
    return { kind: 'ticket', ticketId: ticket.id, closed: ticket.status === 'closed', replies };
  }
  const review = await deps.core.getReview({ reviewId: ref.id });
  if (!review.ok || review.value.state === 'pending') return undefined;
  return {
    kind: 'review',
    approved: review.value.state === 'approved',
    reason: review.value.reason ?? '',
    decidedAt: review.value.decidedAt ? chinaDateTime(review.value.decidedAt).text : '',
  };
}
