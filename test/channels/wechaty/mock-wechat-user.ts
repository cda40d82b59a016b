import type { FileBoxInterface } from 'file-box';
import type { PuppetMock, mock } from 'wechaty-puppet-mock';

type ContactMock = mock.ContactMock;
type RoomMock = mock.RoomMock;

/**
 * A WeChat user talking to the bot through wechaty-puppet-mock, as a transcript:
 * `await user.says('忘记用户名了')` resolves with the bot's answer.
 */
export class MockWechatUser {
  private readonly replies: string[] = [];
  private readonly waiting: ((text: string) => void)[] = [];

  constructor(
    private readonly mocker: mock.Mocker,
    puppet: PuppetMock,
    private readonly bot: ContactMock,
    readonly contact: ContactMock,
    /** Where the bot's answers are read from: the private chat, or a group the user is in. */
    private readonly room?: RoomMock,
  ) {
    puppet.on('message', ({ messageId }) => {
      const payload = this.mocker.messagePayload(messageId);
      if (payload.talkerId !== this.bot.id) return;
      const addressed = this.room ? payload.roomId === this.room.id : payload.listenerId === this.contact.id;
      if (addressed) this.receive(payload.text ?? '');
    });
  }

  async says(text: string): Promise<string> {
    this.contact.say(text).to(this.room ?? this.bot);
    return this.nextReply();
  }

  /** Says something in the group, @-mentioning the bot. */
  async mentionsBot(text: string): Promise<string> {
    if (!this.room) throw new Error('not in a room');
    this.contact.say(text, [this.bot]).to(this.room);
    return this.nextReply();
  }

  async sendsImage(image: FileBoxInterface): Promise<string> {
    this.contact.say(image).to(this.bot);
    return this.nextReply();
  }

  /** Sends without waiting for an answer (for messages the bot should ignore). */
  sendsOnly(text: string): void {
    this.contact.say(text).to(this.room ?? this.bot);
  }

  /** Replies received and not yet read. */
  get unread(): readonly string[] {
    return this.replies;
  }

  nextReply(timeoutMs = 10_000): Promise<string> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the bot did not answer in time')), timeoutMs);
      this.waiting.push((text) => {
        clearTimeout(timer);
        resolve(text);
      });
    });
  }

  private receive(text: string): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(text);
    else this.replies.push(text);
  }
}
