import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { startTestService } from '../helpers/test-service.js';

/** Opens a keep-alive connection, asks /healthz on it, and says when the server hangs up. */
async function keptConnection(port: number): Promise<{ firstAnswer: string; hungUp: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  const hungUp = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  const firstAnswer = await new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))));
  return { firstAnswer, hungUp };
}

// These tests run in order: the first leaves things running on purpose, the second checks they are gone.
describe('what one test starts, it stops', () => {
  let previous: { url: string; dir: string; dataDir: string; hungUp: Promise<void> } | undefined;

  it('starts a service, holds a connection to it, and makes a temporary folder', async () => {
    const service = await startTestService();
    const connection = await keptConnection(Number(new URL(service.baseUrl).port));
    expect(connection.firstAnswer).toMatch(/^HTTP\/1\.1 200/);
    previous = { url: service.baseUrl, dir: tempDir(), dataDir: service.config.dataDir, hungUp: connection.hungUp };
    expect(existsSync(previous.dir)).toBe(true);
    expect(existsSync(previous.dataDir)).toBe(true);
  });

  it('finds, in the next test, the service closed and the folders removed', async () => {
    expect(previous, 'the first test ran').toBeDefined();
    // The server hung up on the connection it had: immune to the port being reused since.
    const gaveUp = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 2000).unref());
    expect(await Promise.race([previous!.hungUp.then(() => 'hung up'), gaveUp])).toBe('hung up');
    const refused = await fetch(`${previous!.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      () => 'answered',
      () => 'refused',
    );
    expect(refused).toBe('refused');
    expect(existsSync(previous!.dir)).toBe(false);
    expect(existsSync(previous!.dataDir)).toBe(false);
  });
});
