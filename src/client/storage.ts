// Where the outbox keeps what is not sent yet: localStorage in a browser (it survives a page reload), an
// in-memory map elsewhere (Node, or a browser that refuses storage: private mode, a full quota).

export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

type WebStorage = {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
};

export function memoryStore(): KeyValueStore {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/** The browser's localStorage when it works, otherwise memory. */
export function defaultStore(): KeyValueStore {
  try {
    const storage = (globalThis as { localStorage?: WebStorage }).localStorage;
    if (!storage) return memoryStore();
    const probe = '__chat_probe__';
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return {
      get: (key) => storage.getItem(key),
      set: (key, value) => {
        try {
          storage.setItem(key, value);
        } catch {
          // quota: the entry stays in the outbox's memory and is still sent
        }
      },
      remove: (key) => storage.removeItem(key),
    };
  } catch {
    return memoryStore();
  }
}
