import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fuse from 'fuse.js';
import { wechatSignature } from '../channels/wechat-oa/signature.js';
import { loadConfig, projectRoot } from '../config.js';
import { loadKnowledge } from '../knowledge/loader.js';
import { Matcher } from '../knowledge/matcher.js';
import { percentile, runScaleBench } from './bench-scale.js';

/**
 * `npm run bench`: matcher time per query; /api/chat throughput against a bare express route
 * measured in the same run (and against the service with the turn replaced by a fixed answer, by
 * the matcher alone, or by the conversation's storage alone, to split the cost between the HTTP
 * stack and the parts of the turn); WeChat passive-reply latency at 50 concurrent signed messages.
 * `npm run bench -- --scale [--max 100000] [--samples 1000]`: latency as the data grows (bench-scale.ts).
 *
 * Load comes from autocannon in this process; the server under test runs in a child process on the
 * same machine (so on this project's CI, the same 2 cores). Figures are reported as ratios against
 * baselines measured in the same run, since absolute numbers depend on the machine.
 */
const SECONDS = numberOption('--seconds', 10);
const CONNECTIONS = numberOption('--connections', 32);
const WECHAT_CONNECTIONS = 50;
const USERS = 2000;
/** Shared with bench-server.ts through its environment. */
const BENCH_CHAT_TOKEN = 'bench-chat-token';
const BENCH_WECHAT_TOKEN = 'bench-wechat-token';

async function main(): Promise<void> {
  const questions = benchQuestions();
  if (process.argv.includes('--scale')) {
    const max = numberOption('--max', 100_000);
    const sizes = [1_000, 10_000, 100_000].filter((size) => size <= max);
    return runScaleBench({ sizes: sizes.length > 0 ? sizes : [max], samples: numberOption('--samples', 1000), questions });
  }
  console.log(`== Matcher (${questions.length} distinct questions; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}) ==`);
  benchMatcher(questions);

  console.log(
    `\n== /api/chat under load (${CONNECTIONS} connections, ${SECONDS} s each, ${USERS} users; autocannon in this process, server in a child) ==`,
  );
  const bare = await withServer('bare', (port, pid) => chatLoad(port, questions, pid));
  const stack = await withServer('stack', (port, pid) => chatLoad(port, questions, pid));
  const stackMatch = await withServer('stack-match', (port, pid) => chatLoad(port, questions, pid));
  const stackStore = await withServer('stack-store', (port, pid) => chatLoad(port, questions, pid));
  const app = await withServer('app', (port, pid) => chatLoad(port, questions, pid));
  printLoad('bare express route (baseline)', bare);
  printLoad('/api/chat with a fixed answer instead of the turn (the HTTP stack alone)', stack);
  printLoad('/api/chat with only the matcher as the turn', stackMatch);
  printLoad('/api/chat with only reading and durably storing the conversation as the turn', stackStore);
  printLoad('/api/chat (whole assistant)', app);
  const share = (load: Load) => `${((load.requests.average / bare.requests.average) * 100).toFixed(1)}%`;
  console.log(`÷ bare express: HTTP stack alone ${share(stack)}, stack + matcher ${share(stackMatch)}, stack + storage ${share(stackStore)}`);
  const ratio = app.requests.average / bare.requests.average;
  console.log(`throughput ratio /api/chat ÷ bare express: ${(ratio * 100).toFixed(1)}% (target ≥ 50%) ${verdict(ratio >= 0.5)}`);
  if (app.serverCpuMs !== undefined && bare.serverCpuMs !== undefined) {
    // What the throughput ratio tends to when the server, not the load generator or a neighbour, is the limit.
    const cpuRatio = bare.serverCpuMs / app.serverCpuMs;
    console.log(
      `server CPU per request: bare ${bare.serverCpuMs.toFixed(3)} ms, /api/chat ${app.serverCpuMs.toFixed(3)} ms; ratio ${(cpuRatio * 100).toFixed(1)}%`,
    );
    if (stack.serverCpuMs !== undefined) {
      // 50% means at most twice the bare route's CPU; what the stack leaves of that is the turn's budget.
      const turn = app.serverCpuMs - stack.serverCpuMs;
      const budget = 2 * bare.serverCpuMs - stack.serverCpuMs;
      console.log(
        `of which the HTTP stack ${stack.serverCpuMs.toFixed(3)} ms and the turn ${turn.toFixed(3)} ms; a turn within ${budget.toFixed(3)} ms would reach 50%`,
      );
    }
  }
  console.log(`latency p99 ratio /api/chat ÷ bare express: ${(app.latency.p99 / Math.max(bare.latency.p99, 0.001)).toFixed(1)}×`);
  warnFailures(app);

  console.log(`\n== WeChat passive replies (${WECHAT_CONNECTIONS} concurrent signed text messages, ${SECONDS} s) ==`);
  const replies = { passive: 0, success: 0 };
  const wechat = await withServer('app', (port, pid) => wechatLoad(port, questions, replies, pid));
  printLoad('POST /wechat', wechat);
  console.log(`answered passively: ${replies.passive}, "success" (answer sent later): ${replies.success}`);
  console.log(`p99 ${wechat.latency.p99} ms (target < 1000 ms) ${verdict(wechat.latency.p99 < 1000)}`);
  warnFailures(wechat);
}

function benchQuestions(): string[] {
  const files = [path.join(projectRoot, '..', 'shared', 'eval', 'dev.jsonl'), path.join(projectRoot, 'test', 'fixtures', 'paraphrases.jsonl')];
  const questions = new Set<string>();
  for (const file of files.filter((f) => existsSync(f))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) if (line.trim()) questions.add((JSON.parse(line) as { q: string }).q);
  }
  if (questions.size === 0) {
    for (const entry of loadKnowledge(loadConfig().knowledgeDir).entries) entry.questions.slice(0, 3).forEach((q) => questions.add(q));
  }
  return [...questions];
}

/**
 * Wall-clock time per query (hrtime around each call: median and p99) and the process's CPU time
 * per query over the same rounds (process.cpuUsage), which other processes on a shared machine
 * inflate less. "First sight": a fresh matcher, warmed on the knowledge base's own example
 * questions, times each bench question once, the first time it sees it (its per-token memos
 * start cold for them); "repeated": 5 more rounds over the same questions. The matcher keeps no
 * per-question cache, so repeats only reuse per-token memos and a warmed-up JIT.
 */
function benchMatcher(questions: string[]): void {
  const knowledge = loadKnowledge(loadConfig().knowledgeDir);
  let started = process.hrtime.bigint();
  const matcher = new Matcher(knowledge);
  console.log(`start-up (segmenter, index, classifier training): ${ms(process.hrtime.bigint() - started)} ms`);
  // Baseline: plain fuse.js over every example question, the naive approach.
  const fuse = new Fuse(
    knowledge.entries.flatMap((entry) => entry.questions.map((q) => ({ id: entry.id, q }))),
    { keys: ['q'], includeScore: true, threshold: 0.6 },
  );
  const timeRounds = (run: (q: string) => unknown, rounds: number) => {
    const samples: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let round = 0; round < rounds; round += 1) {
      for (const q of questions) {
        started = process.hrtime.bigint();
        run(q);
        samples.push(Number(process.hrtime.bigint() - started) / 1000);
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    samples.sort((a, b) => a - b);
    return { median: percentile(samples, 0.5), p99: percentile(samples, 0.99), cpu: (cpu.user + cpu.system) / samples.length };
  };
  for (const entry of knowledge.entries) for (const q of entry.questions) matcher.match(q);
  const cold = timeRounds((q) => matcher.match(q), 1);
  const warm = timeRounds((q) => matcher.match(q), 5);
  for (const q of questions) fuse.search(q, { limit: 3 });
  const naive = timeRounds((q) => fuse.search(q, { limit: 3 }), 5);
  const figures = (label: string, f: { median: number; p99: number; cpu: number }) =>
    `${label}: median ${f.median.toFixed(0)} µs (target ≤ 50) ${verdict(f.median <= 50)}, p99 ${f.p99.toFixed(0)} µs (target ≤ 200) ${verdict(f.p99 <= 200)}, CPU ${f.cpu.toFixed(0)} µs a query`;
  console.log(figures('matcher per query, first sight', cold));
  console.log(figures('matcher per query, repeated (5 rounds)', warm));
  console.log(
    `baseline fuse.js search: median ${naive.median.toFixed(0)} µs, p99 ${naive.p99.toFixed(0)} µs, CPU ${naive.cpu.toFixed(0)} µs a query`,
  );
  console.log(`matcher ÷ fuse.js baseline (repeated): median ${(warm.median / naive.median).toFixed(3)}×, p99 ${(warm.p99 / naive.p99).toFixed(3)}×`);
}

/** A load run and the server's own CPU time per request during it (Linux: /proc/<pid>/stat). */
type Load = autocannon.Result & { serverCpuMs: number | undefined };

/** Runs autocannon twice (2 s warm-up: JIT, first touch of every user's state), returns the second run. */
async function measured(options: autocannon.Options, serverPid: number | undefined): Promise<Load> {
  await autocannon({ ...options, duration: 2 });
  const cpuBefore = processCpuMs(serverPid);
  const result = await autocannon({ ...options, duration: SECONDS });
  const cpuAfter = processCpuMs(serverPid);
  const serverCpuMs =
    cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0 ? (cpuAfter - cpuBefore) / result.requests.total : undefined;
  return Object.assign(result, { serverCpuMs });
}

/** user + system CPU time of a process in ms, from /proc (undefined where there is none). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

function chatLoad(port: number, questions: string[], serverPid: number | undefined): Promise<Load> {
  let n = 0;
  return measured(
    {
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      requests: [
        {
          method: 'POST',
          path: '/api/chat',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_CHAT_TOKEN}` },
          setupRequest: (request) => {
            n += 1;
            return { ...request, body: JSON.stringify({ userId: `bench-${n % USERS}`, text: questions[n % questions.length] }) };
          },
        },
      ],
    },
    serverPid,
  );
}

/** Signed plaintext-mode pushes, each with its own MsgId and nonce, from USERS distinct openids. */
function wechatLoad(port: number, questions: string[], replies: { passive: number; success: number }, serverPid: number | undefined): Promise<Load> {
  let n = 0;
  return measured(
    {
      url: `http://127.0.0.1:${port}`,
      connections: WECHAT_CONNECTIONS,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'text/xml' },
          setupRequest: (request) => {
            n += 1;
            const timestamp = String(Math.floor(Date.now() / 1000));
            const nonce = `${process.pid}${n}`;
            const query = new URLSearchParams({ timestamp, nonce, signature: wechatSignature([BENCH_WECHAT_TOKEN, timestamp, nonce]) });
            const openid = `oBench${n % USERS}`;
            const body = `<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[${openid}]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${questions[n % questions.length]}]]></Content><MsgId>${9_000_000_000 + n}</MsgId></xml>`;
            return { ...request, path: `/wechat?${query}`, body };
          },
          onResponse: (status, body) => {
            if (status === 200 && body.includes('<MsgType>')) replies.passive += 1;
            else if (status === 200) replies.success += 1;
          },
        },
      ],
    },
    serverPid,
  );
}

type ServerMode = 'app' | 'stack' | 'stack-match' | 'stack-store' | 'bare';

async function withServer<T>(mode: ServerMode, work: (port: number, pid: number | undefined) => Promise<T>): Promise<T> {
  const { child, port } = await startServer(mode);
  try {
    return await work(port, child.pid);
  } finally {
    child.kill('SIGTERM');
  }
}

function startServer(mode: ServerMode): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'bench-server.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn', CHAT_API_TOKEN: BENCH_CHAT_TOKEN, WECHAT_TOKEN: BENCH_WECHAT_TOKEN },
  });
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /^BENCH_PORT=(\d+)$/m.exec(buffer);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`bench server (${mode}) exited with ${code}`)));
  });
}

function printLoad(label: string, result: Load): void {
  const cpu = result.serverCpuMs === undefined ? '' : `, server CPU ${result.serverCpuMs.toFixed(3)} ms a request`;
  console.log(`${label}: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${cpu}`);
}

function warnFailures(result: autocannon.Result): void {
  if (result.non2xx > 0 || result.errors > 0) console.log(`WARNING: ${result.non2xx} non-2xx responses, ${result.errors} errors`);
}

function verdict(met: boolean): string {
  return met ? '✓' : '✗';
}

/** `npm run bench -- --seconds 5 --connections 16` */
function numberOption(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function ms(ns: bigint): string {
  return (Number(ns) / 1e6).toFixed(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
