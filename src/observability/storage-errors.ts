import type { Storage } from '../storage/types.js';

/** Storage methods that hand out a named store: their stores are watched too, labelled by name. */
const STORE_FACTORIES = new Set(['documents', 'collection', 'log']);

/**
 * The same storage, with every failed operation reported to `onError(store, operation)` (then
 * rethrown unchanged). Works over whatever methods the storage interface has, so the interface can
 * grow without this wrapper falling behind.
 */
export function watchStorageErrors(storage: Storage, onError: (store: string, operation: string) => void): Storage {
  return new Proxy(storage, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (STORE_FACTORIES.has(property)) {
        return (name: string, ...rest: unknown[]) => {
          const store = (value as (...args: unknown[]) => object).call(target, name, ...rest);
          return watchObject(store, name, onError);
        };
      }
      return watchFunction(value as (...args: unknown[]) => unknown, target, 'storage', property, onError);
    },
  });
}

function watchObject<T extends object>(store: T, name: string, onError: (store: string, operation: string) => void): T {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return watchFunction(value as (...args: unknown[]) => unknown, target, name, property, onError);
    },
  });
}

function watchFunction(
  method: (...args: unknown[]) => unknown,
  self: object,
  store: string,
  operation: string,
  onError: (store: string, operation: string) => void,
): (...args: unknown[]) => unknown {
  return (...args: unknown[]) => {
    let result: unknown;
    try {
      result = method.apply(self, args);
    } catch (error) {
      onError(store, operation);
      throw error;
    }
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        onError(store, operation);
        throw error;
      });
    }
    return result;
  };
}
