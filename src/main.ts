import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createService } from './service.js';

/** Composition root: parse the configuration, build everything, start listening. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const service = await createService({ config, logger });
  const port = await service.listen();
  logger.info({ port, dataDir: config.dataDir }, `listening on http://localhost:${port}/`);
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await service.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
