import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../src/config.js';

/** A service instance running in a child process. */
export interface Instance {
  name: string;
  baseUrl: string;
  child: ChildProcess;
  /** Ends it like a crash: SIGKILL, no shutdown work. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export const CHAT_TOKEN = 'cluster-chat-token';
export const WECHAT_TOKEN = 'cluster-wechat-token';
export const WECHAT_APP_ID = 'wx-cluster';
export const ADMIN = { username: 'admin', password: 'Cluster-admin-2026' };

/**
 * A database of its own on the test PostgreSQL server (created here, dropped by `drop`), so the
 * cluster test never meets another test's rows.
 */
export async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chsi_cluster_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Starts one instance on a free loopback port, sharing `databaseUrl` and `redisUrl` with its peers. */
export async function startInstance(name: string, shared: { databaseUrl: string; redisUrl: string; redisPrefix: string }): Promise<Instance> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `chsi-cluster-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'test', 'cluster', 'cluster-instance.ts')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      SMTP_PORT: '0',
      DATABASE_URL: shared.databaseUrl,
      REDIS_URL: shared.redisUrl,
      REDIS_KEY_PREFIX: shared.redisPrefix,
      CHAT_API_TOKEN: CHAT_TOKEN,
      WECHAT_TOKEN,
      WECHAT_APPID: WECHAT_APP_ID,
      WECHAT_REPLY_BUDGET_MS: '1500',
      ADMIN_USER: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^CLUSTER_PORT=(\d+)$/m.exec(stdout);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  return {
    name,
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** What `/api/chat` answers. */
export interface ChatAnswer {
  replies: { type: string; text?: string }[];
  topic: string | null;
  flow: string | null;
}

/** One user of the integration chat API, speaking through whichever instance the caller picks. */
export async function say(instance: Instance, userId: string, text: string): Promise<ChatAnswer> {
  const response = await fetch(`${instance.baseUrl}/api/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CHAT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ userId, text }),
  });
  if (response.status !== 200) throw new Error(`${instance.name} /api/chat ${response.status}: ${await response.text()}`);
  return (await response.json()) as ChatAnswer;
}

export function textOf(answer: ChatAnswer): string {
  return answer.replies.map((reply) => reply.text ?? '').join('\n');
}
