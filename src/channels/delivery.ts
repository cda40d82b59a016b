import type { ChannelName, Reply } from '../conversation/types.js';

/**
 * What became of replies sent outside a turn: `sent`, or `held` when the channel may not reach the
 * user now (WeChat past the 48-hour window) and keeps them for the user's next message.
 */
export type ChannelDelivery = 'sent' | 'held';

/** Sends replies to a user outside a turn (an agent's answer, a delayed reply). */
export type ChannelSender = (userId: string, replies: Reply[]) => Promise<ChannelDelivery | void>;

/**
 * A short notice that links to a page holding the message, for when the message itself cannot be
 * sent (a WeChat template message). Every text is already rendered, in Chinese.
 */
export interface LinkNotice {
  title: string;
  summary: string;
  time: string;
  remark: string;
  url: string;
}

export type LinkSender = (userId: string, notice: LinkNotice) => Promise<void>;

/**
 * Routes outbound messages to the channel a user came from. Channels register their sender at
 * start-up; the help desk only knows channel names and user ids.
 */
export class DeliveryRouter {
  private readonly senders = new Map<ChannelName, ChannelSender>();
  private readonly linkSenders = new Map<ChannelName, LinkSender>();

  register(channel: ChannelName, sender: ChannelSender): void {
    this.senders.set(channel, sender);
  }

  has(channel: ChannelName): boolean {
    return this.senders.has(channel);
  }

  async deliver(channel: ChannelName, userId: string, replies: Reply[]): Promise<ChannelDelivery> {
    const sender = this.senders.get(channel);
    if (!sender) throw new Error(`No sender registered for channel ${channel}`);
    return (await sender(userId, replies)) ?? 'sent';
  }

  /** A channel that can send a {@link LinkNotice} when its messages are held registers it here. */
  registerLinkSender(channel: ChannelName, sender: LinkSender): void {
    this.linkSenders.set(channel, sender);
  }

  /** Sends a link notice; `false` when the channel has no way to (nothing was sent). */
  async sendLink(channel: ChannelName, userId: string, notice: LinkNotice): Promise<boolean> {
    const sender = this.linkSenders.get(channel);
    if (!sender) return false;
    await sender(userId, notice);
    return true;
  }
}
