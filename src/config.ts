import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { agentPasswordProblem } from './domain/agent-password.js';

/** Repository root, used to resolve the project's own data folders. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const envSchema = z.object({
  PORT: port(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optionalString,
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(180),
  SQLITE_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86400).default(30),
  SQLITE_AUTOCHECKPOINT_PAGES: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  KNOWLEDGE_DIR: z.string().default(path.join(projectRoot, 'knowledge')),
  TEMPLATES_DIR: z.string().default(path.join(projectRoot, 'templates')),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ACCOUNT_CORE_SEED: z.string().default(path.join(projectRoot, 'src', 'account-core', 'demo-accounts.json')),
  ACCOUNT_CORE_URL: optionalString,
  CORE_API_TOKEN: optionalString.refine((token) => token === undefined || token.length >= 16, 'must be at least 16 characters'),
  CORE_PORT: optionalString.pipe(z.coerce.number().int().min(0).max(65535).optional()),
  CORE_HOST: z.string().default('127.0.0.1'),
  CHAT_API_TOKEN: optionalString,
  ADMIN_USER: optionalString,
  ADMIN_PASSWORD: optionalString,
  SESSION_SECRET: optionalString,
  WECHAT_TOKEN: optionalString,
  WECHAT_APPID: optionalString,
  WECHAT_AES_KEY: optionalString,
  WECHAT_APPSECRET: optionalString,
  /** Template message used to reach a user past the 48-hour customer-service window (fields first, keyword1, keyword2, remark). */
  WECHAT_TEMPLATE_ID: optionalString,
  WECHAT_API_BASE: z.string().default('https://api.weixin.qq.com'),
  WECHAT_MESSAGE_MODE: optionalString.pipe(z.enum(['plaintext', 'compatible', 'safe']).optional()),
  WECHAT_REPLY_BUDGET_MS: z.coerce.number().int().min(0).max(4800).default(4500),
  WECHATY_PUPPET: optionalString,
  WECHATY_NAME: z.string().default('chsi-help-assistant'),
  SMTP_PORT: port(2525),
  SMTP_HOST: z.string().default('127.0.0.1'),
  SMTP_URL: optionalString,
  /** Mail relays (IP addresses, comma-separated) that hand inbound mail to the listener: SPF and the per-IP limit use the client their Received header names. */
  SMTP_TRUSTED_RELAYS: z.string().default(''),
  SUPPORT_EMAIL: z.string().email().default('kefu@chsi.com.cn'),
  REDIS_URL: optionalString.refine((url) => url === undefined || /^rediss?:\/\//.test(url), 'must be a redis:// or rediss:// URL'),
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,40}$/)
    .default('chsi:'),
  METRICS_TOKEN: optionalString,
});

/** Validated service configuration; the only place that reads `process.env`. */
export interface Config {
  port: number;
  host: string;
  /** Absolute base URL users reach us at, used in links (reset pages, web chat). */
  publicUrl: string;
  dataDir: string;
  /**
   * `databaseUrl`: PostgreSQL for several instances; unset, SQLite in `dataDir`. `logRetentionDays`:
   * how long audit, outbox, sent-mail and unanswered entries are kept. The SQLite WAL is
   * checkpointed every `sqliteCheckpointSeconds` and whenever it reaches `sqliteAutocheckpointPages`.
   */
  storage: {
    databaseUrl?: string;
    poolSize: number;
    logRetentionDays: number;
    sqliteCheckpointSeconds: number;
    sqliteAutocheckpointPages: number;
  };
  knowledgeDir: string;
  templatesDir: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /**
   * `apiToken`: the service token every /core/v1 route requires, and what this service sends to a
   * remote core. `api`: where the embedded core's HTTP API listens (CORE_PORT, CORE_HOST); absent:
   * the API is off. It never listens on the public PORT.
   */
  accountCore: { seedFile: string; remoteUrl?: string; apiToken?: string; api?: { port: number; host: string } };
  admin?: { username: string; password: string };
  sessionSecret?: string;
  /** Bearer token of the integration chat API (`POST /api/chat`); unset turns that API off. */
  chatApiToken?: string;
  /**
   * `mode`: which POSTs the webhook accepts (WECHAT_MESSAGE_MODE; `safe` when an AES key is set, else `plaintext`).
   * `replyBudgetMs`: how long a passive reply may take before the answer goes through the customer-service API.
   */
  wechat?: {
    token: string;
    appId?: string;
    aesKey?: string;
    appSecret?: string;
    apiBase: string;
    mode: 'plaintext' | 'compatible' | 'safe';
    replyBudgetMs: number;
    /** Template message for replies past the 48-hour window (WECHAT_TEMPLATE_ID); without it they wait for the user's next message. */
    templateId?: string;
  };
  wechaty?: { puppet: string; name: string };
  smtp: { port: number; host: string; outboundUrl?: string; supportAddress: string; trustedRelays: string[] };
  /** REDIS_URL: shared by every instance for locks, WeChat dedupe, the token cache, rate limits and pub/sub. */
  redis?: { url: string; keyPrefix: string };
  /** METRICS_TOKEN: bearer token of `/metrics`; unset, only loopback scrapers are served. */
  metricsToken?: string;
}

/** Parses the environment once. Throws a readable error naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  if (e.WECHAT_AES_KEY !== undefined && e.WECHAT_AES_KEY.length !== 43) {
    throw new Error('Invalid configuration:\n  WECHAT_AES_KEY: must be the 43-character EncodingAESKey');
  }
  const adminPasswordProblem = e.ADMIN_PASSWORD === undefined ? undefined : agentPasswordProblem(e.ADMIN_PASSWORD);
  if (adminPasswordProblem) {
    const why = adminPasswordProblem === 'length' ? 'must be 10 to 128 characters' : 'must contain both letters and digits';
    throw new Error(`Invalid configuration:\n  ADMIN_PASSWORD: ${why} (the policy of every agent password)`);
  }
  if (e.CORE_PORT !== undefined && !e.CORE_API_TOKEN) {
    throw new Error('Invalid configuration:\n  CORE_PORT: the account-core API needs CORE_API_TOKEN (it never runs without one)');
  }
  if (e.CORE_PORT !== undefined && e.CORE_PORT !== 0 && e.CORE_PORT === e.PORT) {
    throw new Error('Invalid configuration:\n  CORE_PORT: must differ from PORT (the core API never shares the public port)');
  }
  if (e.ACCOUNT_CORE_URL && !e.CORE_API_TOKEN) {
    throw new Error('Invalid configuration:\n  ACCOUNT_CORE_URL: a remote core needs CORE_API_TOKEN');
  }
  const wechatMode = e.WECHAT_MESSAGE_MODE ?? (e.WECHAT_AES_KEY ? 'safe' : 'plaintext');
  if (e.WECHAT_TOKEN && wechatMode !== 'plaintext' && (!e.WECHAT_AES_KEY || !e.WECHAT_APPID)) {
    throw new Error(`Invalid configuration:\n  WECHAT_MESSAGE_MODE: ${wechatMode} mode needs WECHAT_AES_KEY and WECHAT_APPID`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    dataDir: path.resolve(e.DATA_DIR),
    storage: {
      databaseUrl: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      logRetentionDays: e.LOG_RETENTION_DAYS,
      sqliteCheckpointSeconds: e.SQLITE_CHECKPOINT_SECONDS,
      sqliteAutocheckpointPages: e.SQLITE_AUTOCHECKPOINT_PAGES,
    },
    knowledgeDir: path.resolve(e.KNOWLEDGE_DIR),
    templatesDir: path.resolve(e.TEMPLATES_DIR),
    logLevel: e.LOG_LEVEL,
    accountCore: {
      seedFile: path.resolve(e.ACCOUNT_CORE_SEED),
      remoteUrl: e.ACCOUNT_CORE_URL,
      apiToken: e.CORE_API_TOKEN,
      api: e.CORE_PORT === undefined ? undefined : { port: e.CORE_PORT, host: e.CORE_HOST },
    },
    admin: e.ADMIN_USER && e.ADMIN_PASSWORD ? { username: e.ADMIN_USER, password: e.ADMIN_PASSWORD } : undefined,
    sessionSecret: e.SESSION_SECRET,
    chatApiToken: e.CHAT_API_TOKEN,
    wechat: e.WECHAT_TOKEN
      ? {
          token: e.WECHAT_TOKEN,
          appId: e.WECHAT_APPID,
          aesKey: e.WECHAT_AES_KEY,
          appSecret: e.WECHAT_APPSECRET,
          apiBase: e.WECHAT_API_BASE.replace(/\/+$/, ''),
          mode: wechatMode,
          replyBudgetMs: e.WECHAT_REPLY_BUDGET_MS,
          templateId: e.WECHAT_TEMPLATE_ID,
        }
      : undefined,
    wechaty: e.WECHATY_PUPPET ? { puppet: e.WECHATY_PUPPET, name: e.WECHATY_NAME } : undefined,
    smtp: {
      port: e.SMTP_PORT,
      host: e.SMTP_HOST,
      outboundUrl: e.SMTP_URL,
      supportAddress: e.SUPPORT_EMAIL,
      trustedRelays: e.SMTP_TRUSTED_RELAYS.split(',')
        .map((address) => address.trim())
        .filter(Boolean),
    },
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : undefined,
    metricsToken: e.METRICS_TOKEN,
  };
}
