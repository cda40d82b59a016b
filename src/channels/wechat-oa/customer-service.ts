import type { Logger } from 'pino';
import { ERR_OUTSIDE_WINDOW, WechatApiError, type WechatApi } from './api-client.js';
import type { HeldMessageBox } from './held-messages.js';
import { textOf, type OutboundPart } from './outbound-part.js';

/** What became of texts sent outside a passive reply. */
export type SendOutcome = 'sent' | 'held';

/**
 * Sends texts through the customer-service message API, in order. When WeChat answers 45015
 * (the user is outside the 48-hour window) the rest are held and go out on the user's next contact.
 */
export class CustomerServiceSender {
  constructor(
    private readonly api: WechatApi,
    private readonly held: HeldMessageBox,
    private readonly logger: Logger,
  ) {}

  /** Texts go as text messages, answers with options as `msgmenu`; held ones keep their numbered text. */
  async send(openid: string, parts: OutboundPart[]): Promise<SendOutcome> {
    for (const [index, part] of parts.entries()) {
      try {
        if (typeof part === 'string') await this.api.sendText(openid, part);
        else await this.api.sendMenu(openid, { head: part.head, items: part.items });
      } catch (error) {
        if (error instanceof WechatApiError && error.errcode === ERR_OUTSIDE_WINDOW) {
          await this.held.hold(openid, parts.slice(index).map(textOf));
          this.logger.info({ parts: parts.length - index }, 'wechat user outside the 48-hour window; message held');
          return 'held';
        }
        throw error;
      }
    }
    return 'sent';
  }
}
