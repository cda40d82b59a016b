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
  // A stray rejection is logged and the service keeps serving; an uncaught exception leaves the
  // process in an unknown state, so it exits (every acknowledged write is already on disk).
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
