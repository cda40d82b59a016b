import type { ChannelName, Reply } from '../conversation/types.js';

/** Sends replies to a user outside a turn (an agent's answer, a delayed reply). */
export type ChannelSender = (userId: string, replies: Reply[]) => Promise<void>;

/**
 * Routes outbound messages to the channel a user came from. Channels register their sender at
 * start-up; the help desk only knows channel names and user ids.
 */
export class DeliveryRouter {
  private readonly senders = new Map<ChannelName, ChannelSender>();

  register(channel: ChannelName, sender: ChannelSender): void {
    this.senders.set(channel, sender);
  }

  has(channel: ChannelName): boolean {
    return this.senders.has(channel);
  }

  async deliver(channel: ChannelName, userId: string, replies: Reply[]): Promise<void> {
    const sender = this.senders.get(channel);
    if (!sender) throw new Error(`No sender registered for channel ${channel}`);
    await sender(userId, replies);
  }
}
