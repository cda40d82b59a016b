import { EventEmitter } from 'node:events';
import http from 'node:http';
import { onTestFinished } from 'vitest';

/** One customer-service message the mock accepted (or refused). */
export interface CustomerServiceCall {
  touser: string;
  text: string;
  accessToken: string;
  errcode: number;
}

/**
 * WeChat's server API as a real HTTP server on loopback: `/cgi-bin/token`, `/cgi-bin/message/custom/send`
 * and `/cgi-bin/media/get`. Tokens can be revoked (then calls answer 40001) and sends can be made to
 * fail with a chosen errcode (45015). Closed after the test.
 */
export class MockWechatApi {
  readonly tokenRequests: { appid: string; secret: string }[] = [];
  readonly sendCalls: CustomerServiceCall[] = [];
  readonly mediaRequests: string[] = [];
  /** msgmenu messages sent through the customer-service API. */
  readonly menuCalls: { touser: string; head: string; items: { id: string; content: string }[] }[] = [];
  /** Template messages (sent outside the 48-hour window). */
  readonly templateCalls: { touser: string; templateId: string; url: string; data: Record<string, { value: string }> }[] = [];
  /** Bodies of `menu/create` calls (the custom menu). */
  readonly publishedMenus: unknown[] = [];
  readonly media = new Map<string, { type: string; data: Buffer }>();
  private readonly validTokens = new Set<string>();
  private readonly sendFailures: number[] = [];
  private issued = 0;
  /** Emits `request` after each request has been recorded. */
  private readonly answered = new EventEmitter();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly credentials: { appid: string; secret: string },
  ) {}

  static async start(credentials: { appid: string; secret: string }): Promise<MockWechatApi> {
    // eslint-disable-next-line prefer-const -- assigned once the server it serves exists
    let api!: MockWechatApi;
    const server = http.createServer((req, res) => void api.handle(req, res).finally(() => api.answered.emit('request')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    api = new MockWechatApi(server, `http://127.0.0.1:${address.port}`, credentials);
    onTestFinished(() => api.close());
    return api;
  }

  /** Texts successfully delivered through the customer-service API, in order. */
  get delivered(): CustomerServiceCall[] {
    return this.sendCalls.filter((call) => call.errcode === 0);
  }

  /** The next sends answer these errcodes, one each. */
  failNextSends(...errcodes: number[]): void {
    this.sendFailures.push(...errcodes);
  }

  /** Every token issued so far stops working, as when another server refreshed it. */
  revokeTokens(): void {
    this.validTokens.clear();
  }

  /** Resolves once `condition` holds, checking again after every request the mock answers (no polling). */
  waitFor(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        this.answered.off('request', check);
        resolve();
      };
      this.answered.on('request', check);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const json = (body: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/cgi-bin/token') {
      const appid = url.searchParams.get('appid') ?? '';
      const secret = url.searchParams.get('secret') ?? '';
      this.tokenRequests.push({ appid, secret });
      if (url.searchParams.get('grant_type') !== 'client_credential' || appid !== this.credentials.appid || secret !== this.credentials.secret) {
        return json({ errcode: 40125, errmsg: 'invalid appsecret' });
      }
      const token = `mock-token-${++this.issued}`;
      this.validTokens.add(token);
      return json({ access_token: token, expires_in: 7200 });
    }
    const accessToken = url.searchParams.get('access_token') ?? '';
    if (url.pathname === '/cgi-bin/message/custom/send' && req.method === 'POST') {
      const body = JSON.parse(await readBody(req)) as {
        touser: string;
        msgtype: string;
        text?: { content: string };
        msgmenu?: { head_content: string; list: { id: string; content: string }[] };
      };
      const errcode = !this.validTokens.has(accessToken) ? 40001 : (this.sendFailures.shift() ?? 0);
      if (body.msgtype === 'msgmenu' && body.msgmenu) {
        if (errcode === 0) this.menuCalls.push({ touser: body.touser, head: body.msgmenu.head_content, items: body.msgmenu.list });
      } else {
        this.sendCalls.push({ touser: body.touser, text: body.text?.content ?? '', accessToken, errcode });
      }
      return json({ errcode, errmsg: errcode === 0 ? 'ok' : `mock error ${errcode}` });
    }
    if (url.pathname === '/cgi-bin/message/template/send' && req.method === 'POST') {
      if (!this.validTokens.has(accessToken)) return json({ errcode: 40001, errmsg: 'invalid credential' });
      const body = JSON.parse(await readBody(req)) as { touser: string; template_id: string; url: string; data: Record<string, { value: string }> };
      this.templateCalls.push({ touser: body.touser, templateId: body.template_id, url: body.url, data: body.data });
      return json({ errcode: 0, errmsg: 'ok', msgid: this.templateCalls.length });
    }
    if (url.pathname === '/cgi-bin/menu/create' && req.method === 'POST') {
      if (!this.validTokens.has(accessToken)) return json({ errcode: 40001, errmsg: 'invalid credential' });
      this.publishedMenus.push(JSON.parse(await readBody(req)));
      return json({ errcode: 0, errmsg: 'ok' });
    }
    if (url.pathname === '/cgi-bin/media/get') {
      const mediaId = url.searchParams.get('media_id') ?? '';
      this.mediaRequests.push(mediaId);
      if (!this.validTokens.has(accessToken)) return json({ errcode: 40001, errmsg: 'invalid credential' });
      const media = this.media.get(mediaId);
      if (!media) return json({ errcode: 40007, errmsg: 'invalid media_id' });
      res.writeHead(200, { 'content-type': media.type, 'content-disposition': `attachment; filename="${mediaId}.png"` }).end(media.data);
      return;
    }
    res.writeHead(404).end();
    return;
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
