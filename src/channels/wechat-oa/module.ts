import type { FeatureModule, ServiceContext } from '../../feature-module.js';
import { existsSync } from 'node:fs';
import { answerInbound, repliesToText } from './answer.js';
import { buttonNamesByKey, customMenuFile, loadCustomMenu } from './custom-menu.js';
import { createWechatApi, type CachedAccessToken, type WechatApi } from './api-client.js';
import { CustomerServiceSender } from './customer-service.js';
import { DELIVERY_RECORDS, DeliveryLedger } from './delivery-ledger.js';
import { HeldMessageBox, type HeldMessages } from './held-messages.js';
import { InboundDispatcher } from './inbound-dispatcher.js';
import { createMessageCipher } from './message-cipher.js';
import { splitByBytes } from './split-text.js';
import { textOf } from './outbound-part.js';
import { RedisSeenNonces } from './replay-guard.js';
import { createWechatWebhookRouter } from './webhook-router.js';

/** Topics the subscribe welcome lists, by knowledge id; ids missing from the knowledge base are skipped. */
export const DEFAULT_WELCOME_TOPICS = [
  'recover.username',
  'recover.password',
  'activation.how',
  'register.id-taken',
  'dupid.photo',
  'sms.not-received',
];

export interface WechatOfficialAccountOptions {
  /** Webhook path (docs/api.md: `/wechat`). */
  path?: string;
  /** Overrides `config.wechat.replyBudgetMs` (tests). */
  replyBudgetMs?: number;
  welcomeTopicIds?: string[];
  /** Replaces the HTTP client of WeChat's API (tests that need no mock server). */
  api?: WechatApi;
  /** How often expired delivery records are swept. */
  sweepIntervalMs?: number;
  /** The custom menu whose CLICK keys this webhook answers (default `knowledge/wechat/custom-menu.yaml`). */
  customMenuFile?: string;
}

/**
 * The WeChat official-account channel: the `/wechat` webhook (plaintext, compatible and safe
 * mode), the customer-service sender for delayed and agent replies, and the held-message box
 * for users outside the 48-hour window. Does nothing unless `config.wechat` is set.
 */
export function wechatOfficialAccountModule(options: WechatOfficialAccountOptions = {}): FeatureModule {
  let dispatcher: InboundDispatcher | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let api: WechatApi | undefined;
  let held: HeldMessageBox | undefined;
  let sender: CustomerServiceSender | undefined;

  return {
    name: 'wechat-official-account',

    prepare(context) {
      const wechat = context.config.wechat;
      if (!wechat) return;
      held = new HeldMessageBox(context.storage.documents<HeldMessages>('wechat-held'), context.clock);
      api = options.api ?? wechatApiOf(context);
      if (!api) {
        context.logger.warn('WECHAT_APPID/WECHAT_APPSECRET not set: WeChat replies can only be passive; agent replies are held');
      }
      sender = api ? new CustomerServiceSender(api, held, context.logger) : undefined;
      const box = held;
      const cs = sender;
      // Agent replies: the customer-service API, or held until the user writes again.
      context.delivery.register('wechat', async (openid, replies) => {
        const parts = splitByBytes(repliesToText(replies, context.render));
        if (cs) return cs.send(openid, parts);
        await box.hold(openid, parts);
        return 'held';
      });
      // Past the 48-hour window only a template message gets through: it links to a page holding the message.
      const templateId = wechat.templateId;
      const templates = api;
      if (templateId && templates) {
        context.delivery.registerLinkSender('wechat', (openid, notice) =>
          templates.sendTemplate(openid, {
            templateId,
            url: notice.url,
            data: { first: notice.title, keyword1: notice.summary, keyword2: notice.time, remark: notice.remark },
          }),
        );
      }
    },

    install(app, context, assistant) {
      const wechat = context.config.wechat;
      if (!wechat || !held) return;
      const box = held;
      const cs = sender;
      const buttonNames = customMenuButtonNames(context, options.customMenuFile);
      const ledger =
        context.coordination?.wechatDeliveries ?? new DeliveryLedger(context.storage.collection('wechat-inbound', DELIVERY_RECORDS), context.clock);
      dispatcher = new InboundDispatcher({
        ledger,
        relay: context.coordination?.wechatRelay,
        onAsyncFallback: () => context.metrics?.wechatAsyncFallbacks.inc(),
        budgetMs: options.replyBudgetMs ?? wechat.replyBudgetMs,
        logger: context.logger,
        answer: (message) =>
          answerInbound(message, {
            assistant,
            render: context.render,
            held: box,
            api,
            welcomeTopics: () => welcomeTitles(context, options.welcomeTopicIds ?? DEFAULT_WELCOME_TOPICS),
            menuButtonName: (eventKey) => buttonNames.get(eventKey),
            logger: context.logger,
          }),
        async sendLater(openid, parts) {
          if (!cs) return box.hold(openid, parts.map(textOf));
          try {
            await cs.send(openid, parts);
          } catch (error) {
            // Whatever went wrong, the answer must not be lost: it goes out on the next contact.
            context.logger.warn({ err: error }, 'wechat customer-service send failed; reply held');
            await box.hold(openid, parts.map(textOf));
          }
        },
      });
      app.use(
        createWechatWebhookRouter({
          path: options.path ?? '/wechat',
          token: wechat.token,
          mode: wechat.mode,
          appId: wechat.appId,
          cipher: wechat.aesKey && wechat.appId ? createMessageCipher({ encodingAesKey: wechat.aesKey, appId: wechat.appId }) : undefined,
          dispatcher,
          clock: context.clock,
          logger: context.logger,
          seenNonces: context.coordination?.redis
            ? new RedisSeenNonces(context.coordination.redis, `${context.config.redis?.keyPrefix ?? 'chsi:'}wechat:nonce:`)
            : undefined,
        }),
      );
      sweeper = setInterval(() => {
        ledger.sweep().catch((error: unknown) => context.logger.warn({ err: error }, 'wechat ledger sweep failed'));
      }, options.sweepIntervalMs ?? 60_000);
      sweeper.unref();
    },

    async close() {
      if (sweeper) clearInterval(sweeper);
      await dispatcher?.drain();
    },
  };
}

/**
 * Button names by CLICK key, from the custom menu file, checked against the running flows and
 * topics: a menu that names something missing stops start-up with the file and button named.
 */
function customMenuButtonNames(context: ServiceContext, file = customMenuFile(context.config.knowledgeDir)): Map<string, string> {
  if (!existsSync(file)) return new Map();
  const menu = loadCustomMenu(file, { hasFlow: (name) => context.flows.has(name), hasTopic: (id) => context.knowledge.byId.has(id) });
  return buttonNamesByKey(menu);
}

/** WeChat's API with the service's token cache and refresh lock, when an AppID and AppSecret are configured. */
export function wechatApiOf(context: ServiceContext): WechatApi | undefined {
  const wechat = context.config.wechat;
  if (!wechat?.appId || !wechat.appSecret) return undefined;
  return createWechatApi({
    apiBase: wechat.apiBase,
    appId: wechat.appId,
    appSecret: wechat.appSecret,
    tokens: context.coordination?.wechatTokens ?? context.storage.documents<CachedAccessToken>('wechat-token'),
    refreshLock: context.coordination?.lock,
    clock: context.clock,
    logger: context.logger,
  });
}

function welcomeTitles(context: ServiceContext, ids: string[]): string[] {
  return ids.flatMap((id) => {
    const entry = context.knowledge.byId.get(id);
    return entry ? [entry.title] : [];
  });
}
