import { describe, it } from 'vitest';
import { createPostgresDriver } from '../../src/storage/postgres-driver.js';
import { createSqlStorage } from '../../src/storage/sql-storage.js';
import { describeStorageContract } from './contract.js';
import { freshPostgresSchema, testDatabaseUrl } from './postgres-fixture.js';

if (testDatabaseUrl) {
  describeStorageContract('postgres', {
    persistent: true,
    create: async () => {
      const url = await freshPostgresSchema();
      return { open: async (options) => createSqlStorage(createPostgresDriver({ url, poolSize: 4 }), { engine: 'postgres', ...options }) };
    },
  });
} else {
  describe('storage contract: postgres', () => {
    it.skip('skipped: set TEST_DATABASE_URL=postgres://… (as .ci/run does) to run the contract against PostgreSQL', () => {});
  });
}
