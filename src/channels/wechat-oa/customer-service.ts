import type { Logger } from 'pino';
import { ERR_OUTSIDE_WINDOW, WechatApiError, type WechatApi } from './api-client.js';
import type { HeldMessageBox } from './held-messages.js';

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

  async send(openid: string, texts: string[]): Promise<SendOutcome> {
    for (const [index, text] of texts.entries()) {
      try {
        await this.api.sendText(openid, text);
      } catch (error) {
        if (error instanceof WechatApiError && error.errcode === ERR_OUTSIDE_WINDOW) {
          await this.held.hold(openid, texts.slice(index));
          this.logger.info({ parts: texts.length - index }, 'wechat user outside the 48-hour window; message held');
          return 'held';
        }
        throw error;
      }
    }
    return 'sent';
  }
}
