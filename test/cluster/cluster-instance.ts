import { loadConfig } from '../../src/config.js';
import { createService } from '../../src/service.js';

/**
 * One instance of the service for the cluster test, in its own process so the test can kill it
 * with SIGKILL. Configured entirely by its environment (DATABASE_URL, REDIS_URL, ...), as in
 * production; reports its port on stdout as `CLUSTER_PORT=<n>`.
 */
async function main(): Promise<void> {
  const service = await createService({ config: loadConfig() });
  const port = await service.listen();
  process.stdout.write(`CLUSTER_PORT=${port}\n`);
  process.once('SIGTERM', () => void service.close().finally(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
