import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { describeStorageContract } from './contract.js';

describeStorageContract('memory', {
  persistent: false,
  create: async () => ({ open: async (options) => createMemoryStorage(options) }),
});
