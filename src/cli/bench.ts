import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import Fuse from 'fuse.js';
import { loadConfig, projectRoot } from '../config.js';
import { loadKnowledge } from '../knowledge/loader.js';
import { Matcher } from '../knowledge/matcher.js';

/**
 * `npm run bench`: matcher time per query, and /api/chat throughput and latency under
 * concurrent load against a bare express route measured in the same run. Figures are
 * reported with ratios against their baselines, since absolute numbers depend on the machine.
 */
const SECONDS = numberOption('--seconds', 10);
const CONNECTIONS = numberOption('--connections', 32);
const USERS = 2000;

async function main(): Promise<void> {
  const questions = benchQuestions();
  console.log(`== Matcher (${questions.length} distinct questions) ==`);
  benchMatcher(questions);

  console.log(`\n== /api/chat under load (${CONNECTIONS} connections, ${SECONDS} s each, ${USERS} users) ==`);
  const bare = await loadTest('bare', questions);
  const app = await loadTest('app', questions);
  printLoad('bare express route (baseline)', bare);
  printLoad('/api/chat (whole assistant)', app);
  const ratio = app.requests.average / bare.requests.average;
  console.log(`throughput ratio /api/chat ÷ bare express: ${(ratio * 100).toFixed(1)}% (target ≥ 30%)`);
  console.log(`latency p99 ratio /api/chat ÷ bare express: ${(app.latency.p99 / Math.max(bare.latency.p99, 0.001)).toFixed(1)}×`);
  if (app.non2xx > 0 || app.errors > 0) console.log(`WARNING: ${app.non2xx} non-2xx responses, ${app.errors} errors`);
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
  const time = (run: (q: string) => unknown) => {
    for (const q of questions) run(q);
    const samples: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      for (const q of questions) {
        started = process.hrtime.bigint();
        run(q);
        samples.push(Number(process.hrtime.bigint() - started) / 1000);
      }
    }
    samples.sort((a, b) => a - b);
    return { median: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
  };
  const ours = time((q) => matcher.match(q));
  const naive = time((q) => fuse.search(q, { limit: 3 }));
  console.log(`matcher per query: median ${ours.median.toFixed(0)} µs, p99 ${ours.p99.toFixed(0)} µs (target median ≤ 200 µs)`);
  console.log(`baseline fuse.js search: median ${naive.median.toFixed(0)} µs, p99 ${naive.p99.toFixed(0)} µs`);
  console.log(`matcher ÷ fuse.js baseline: median ${(ours.median / naive.median).toFixed(2)}×, p99 ${(ours.p99 / naive.p99).toFixed(2)}×`);
}

async function loadTest(mode: 'app' | 'bare', questions: string[]): Promise<autocannon.Result> {
  const { child, port } = await startServer(mode);
  try {
    let n = 0;
    const run = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration,
        requests: [
          {
            method: 'POST',
            path: '/api/chat',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => {
              n += 1;
              const body = { userId: `bench-${n % USERS}`, text: questions[n % questions.length] };
              return { ...request, body: JSON.stringify(body) };
            },
          },
        ],
      });
    await run(2); // warm-up: JIT, first-touch of every user's state
    return await run(SECONDS);
  } finally {
    child.kill('SIGTERM');
  }
}

function startServer(mode: 'app' | 'bare'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'bench-server.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
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

function printLoad(label: string, result: autocannon.Result): void {
  console.log(`${label}: ${result.requests.average.toFixed(0)} req/s, latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
}

/** `npm run bench -- --seconds 5 --connections 16` */
function numberOption(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function ms(ns: bigint): string {
  return (Number(ns) / 1e6).toFixed(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
