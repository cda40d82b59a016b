import { KeyedMutex } from './keyed-mutex.js';
import type { AppendLog, DocumentStore, Storage } from './types.js';

/** In-memory storage for tests. Values are cloned in and out, like a real store. */
export function createMemoryStorage(): Storage {
  const documents = new Map<string, DocumentStore<unknown>>();
  const logs = new Map<string, AppendLog<unknown>>();
  return {
    documents<T>(name: string): DocumentStore<T> {
      if (!documents.has(name)) documents.set(name, new MemoryDocumentStore<unknown>());
      return documents.get(name) as DocumentStore<T>;
    },
    log<T>(name: string): AppendLog<T> {
      if (!logs.has(name)) logs.set(name, new MemoryLog<unknown>());
      return logs.get(name) as AppendLog<T>;
    },
    async close(): Promise<void> {},
  };
}

class MemoryDocumentStore<T> implements DocumentStore<T> {
  private readonly docs = new Map<string, T>();
  private readonly mutex = new KeyedMutex();

  async get(id: string): Promise<T | undefined> {
    const doc = this.docs.get(id);
    return doc === undefined ? undefined : structuredClone(doc);
  }

  async put(id: string, doc: T): Promise<void> {
    await this.mutex.run(id, async () => void this.docs.set(id, structuredClone(doc)));
  }

  update(id: string, change: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
    return this.mutex.run(id, async () => {
      const current = this.docs.get(id);
      const next = await change(current === undefined ? undefined : structuredClone(current));
      if (next === undefined) this.docs.delete(id);
      else this.docs.set(id, structuredClone(next));
      return next;
    });
  }

  async delete(id: string): Promise<void> {
    await this.mutex.run(id, async () => void this.docs.delete(id));
  }

  async list(): Promise<T[]> {
    return [...this.docs.values()].map((doc) => structuredClone(doc));
  }
}

class MemoryLog<T> implements AppendLog<T> {
  private readonly entries: T[] = [];

  async append(entry: T): Promise<void> {
    this.entries.push(structuredClone(entry));
  }

  async readAll(): Promise<T[]> {
    return this.entries.map((entry) => structuredClone(entry));
  }
}
