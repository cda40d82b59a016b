import { createSqliteStorage } from '../../src/storage/open-storage.js';
import { tempDir } from '../helpers/temp-dir.js';
import { describeStorageContract } from './contract.js';

describeStorageContract('sqlite', {
  persistent: true,
  create: async () => {
    const dir = tempDir('chsi-sqlite-');
    return { open: async (options) => createSqliteStorage(dir, options) };
  },
});
