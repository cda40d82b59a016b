// The real service in a child process (src/main.ts), for tests that kill it with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../src/config.js';

export interface ServiceProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Resolves when the process has exited (killed or stopped). */
  exited: Promise<void>;
}

/** Starts `src/main.ts` on a free loopback port and resolves once it listens. */
export function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'main.ts')], {
    cwd: projectRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SMTP_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()).slice(-4000));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const port = /"port":(\d+)/.exec(line)?.[1];
      if (port && line.includes('listening on')) resolve({ baseUrl: `http://127.0.0.1:${port}`, child, exited });
    });
    void exited.then(() => reject(new Error(`service exited before listening: ${stderr.slice(-2000)}`)));
  });
}

/** Stops the service the way an operator does (SIGTERM) and waits for it to exit. */
export async function stopServiceProcess(service: ServiceProcess): Promise<void> {
  if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGTERM');
  await service.exited;
}
