/**
 * What every built-in store does before it touches its backend: check each argument (keys, list
 * prefixes, delimiters, signed-URL lifetimes) and refuse a write whose signal is already aborted. The
 * stores implement only the operations themselves, so a key that works on one store works on all.
 */
import { Readable } from "node:stream";
import { AbortError } from "../errors.ts";
import { validateDelimiter, validateKey, validatePrefix, validateTtl } from "./keys.ts";
import type { ObjectStore } from "./object-store.ts";

/**
 * `store` with its arguments checked first: a `ValidationError` names a bad key, prefix, delimiter or
 * ttl, and a `put` whose signal is already aborted rejects with an `AbortError` (its stream body
 * destroyed, so a producer never waits on it) without writing anything.
 */
export const checkedStore = (store: ObjectStore): ObjectStore => {
  /** `op` with its key checked first; a bad key rejects, as any failed store call does. */
  const withKey =
    <R>(op: (key: string) => Promise<R>) =>
    async (key: string): Promise<R> => {
      validateKey(key);
      return op(key);
    };
  return {
    location: store.location,

    async put(key, body, options = {}) {
      validateKey(key);
      if (options.signal?.aborted) {
        if (body instanceof Readable && !body.destroyed) body.destroy();
        throw new AbortError(
          `write "${key}" in ${store.location} was aborted before it started; nothing was written`,
        );
      }
      return store.put(key, body, options);
    },

    get: withKey((key) => store.get(key)),
    exists: withKey((key) => store.exists(key)),
    delete: withKey((key) => store.delete(key)),

    list(prefix) {
      validatePrefix(prefix);
      return store.list(prefix);
    },

    async listCommonPrefixes(prefix, delimiter) {
      validatePrefix(prefix);
      validateDelimiter(delimiter);
      return store.listCommonPrefixes(prefix, delimiter);
    },

    async signedUrl(key, ttlSeconds) {
      validateKey(key);
      validateTtl(ttlSeconds);
      return store.signedUrl(key, ttlSeconds);
    },
  };
};
