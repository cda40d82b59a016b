import type { Logger } from 'pino';
import type { ReviewSummary } from '../../account-core/types.js';
import { chinaDateTime } from '../../calendar/china-time.js';
import type { DeliveryRouter } from '../../channels/delivery.js';
import type { ChannelName } from '../../conversation/types.js';
import type { Render } from '../../render/renderer.js';
import type { DocumentStore } from '../../storage/types.js';
import type { DeliveryOutcome } from '../tickets/ticket-types.js';
import type { NoticeRef, SignedLinks } from './signed-links.js';

/** Where a photo review was submitted from: its decision is sent back there. */
export interface ReviewOrigin {
  reviewId: string;
  channel: ChannelName;
  userId: string;
  at: string;
}

export interface UserNoticesDeps {
  delivery: DeliveryRouter;
  render: Render;
  links: SignedLinks;
  /** The service's public base URL, for the links in template messages. */
  publicUrl: string;
  origins: DocumentStore<ReviewOrigin>;
  clock: () => Date;
  logger: Logger;
}

/** What a link notice says, before it is rendered for the channel. */
interface LinkContent {
  ref: Omit<NoticeRef, 'exp'>;
  title: string;
  summary: string;
}

/**
 * Outcomes reaching the user on the channel they came from: an agent's reply, a closed ticket, a
 * photo review's decision. When the channel holds the message (WeChat past the 48-hour window)
 * and can send a link notice (a template message, WECHAT_TEMPLATE_ID), the user gets a notice
 * linking to a signed page with the message, instead of silence until they write again. On the
 * web chat the message waits in the visitor's inbox and shows on the next visit.
 */
export class UserNotices {
  constructor(private readonly deps: UserNoticesDeps) {}

  /** Sends `text` to a chat user; `link` says what the signed page would show if the text is held. */
  async tell(channel: ChannelName, userId: string, text: string, link: LinkContent): Promise<DeliveryOutcome> {
    const { delivery, logger } = this.deps;
    if (!delivery.has(channel)) {
      logger.warn({ channel }, 'no sender registered for the channel');
      return 'failed';
    }
    const outcome = await delivery.deliver(channel, userId, [{ type: 'text', text }]);
    if (outcome === 'sent') return 'sent';
    const token = await this.deps.links.sign(link.ref);
    const linked = await delivery
      .sendLink(channel, userId, {
        title: link.title,
        summary: link.summary,
        time: chinaDateTime(this.deps.clock()).text,
        remark: this.deps.render('helpdesk/notice/remark'),
        url: `${this.deps.publicUrl.replace(/\/+$/, '')}/helpdesk/notices/${token}`,
      })
      .catch((error: unknown) => {
        logger.warn({ err: error, channel }, 'link notice not sent; the message waits for the user’s next contact');
        return false;
      });
    if (linked) logger.info({ channel, kind: link.ref.kind }, 'channel held the message; a link notice went out instead');
    return linked ? 'sent' : 'stored';
  }

  /** Renders what a link notice says about an agent's reply. */
  replyLink(ticketId: string, text: string): LinkContent {
    return {
      ref: { kind: 'ticket', id: ticketId },
      title: this.deps.render('helpdesk/notice/reply-title', { ticketId }),
      summary: clipForNotice(text),
    };
  }

  async recordReviewOrigin(origin: Omit<ReviewOrigin, 'at'>): Promise<void> {
    await this.deps.origins.put(origin.reviewId, { ...origin, at: this.deps.clock().toISOString() });
  }

  /** A review was decided: the user hears it where they submitted the photos (the core's SMS or e-mail goes too). */
  async reviewDecided(review: ReviewSummary): Promise<DeliveryOutcome | 'no-origin'> {
    const origin = await this.deps.origins.get(review.id);
    if (!origin) return 'no-origin';
    const approved = review.state === 'approved';
    const vars = { reason: review.reason ?? '', decidedAt: review.decidedAt ? chinaDateTime(review.decidedAt).text : '' };
    const text = this.deps.render(approved ? 'helpdesk/chat/review-approved' : 'helpdesk/chat/review-rejected', vars);
    return this.tell(origin.channel, origin.userId, text, {
      ref: { kind: 'review', id: review.id },
      title: this.deps.render('helpdesk/notice/review-title'),
      summary: this.deps.render(approved ? 'helpdesk/notice/review-approved' : 'helpdesk/notice/review-rejected', vars),
    });
  }
}

/** Template message fields are short: the first line of the message, clipped. */
function clipForNotice(text: string): string {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > 40 ? `${first.slice(0, 40)}…` : first;
}
