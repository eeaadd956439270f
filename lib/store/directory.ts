/**
 * Operations on a "directory" of keys (everything under one prefix) that the catalog needs for backups
 * and restores alike: bounded parallel work, marker-last writes, marker-first deletion and reading the
 * gzipped files. No key layout here.
 */
import type { Readable } from "node:stream";
import { decodeJsonGz, decodeTextGz, gunzipStream } from "./codec.ts";
import { getBuffer, listAll, type ObjectStore } from "./object-store.ts";

/** Runs `task` over `items` with at most `limit` in flight, keeping order. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> => {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

/**
 * Deletes every key under `dir`: `marker` first and alone (the key whose presence makes the directory a
 * backup or a restore, so it stops being one at once), then the rest, `concurrency` at a time. Returns
 * the keys removed, the marker first; empty when there was nothing.
 * @param concurrency deletions in flight after the marker. @default 16
 */
export const deleteDirectory = async (
  store: ObjectStore,
  dir: string,
  marker: string,
  concurrency = 16,
): Promise<{ deleted: string[] }> => {
  const all = await listAll(store, dir);
  if (all.length === 0) return { deleted: [] };
  if (all.includes(marker)) await store.delete(marker);
  const rest = all.filter((key) => key !== marker);
  await mapLimit(rest, concurrency, (key) => store.delete(key));
  return { deleted: all.includes(marker) ? [marker, ...rest] : rest };
};

/**
 * Writes `files` (key → body) in parallel, then, once all are written, calls `writeMarker` to write the
 * marker alone: a reader that sees the marker sees every other file too. This is how a backup
 * (`velero-backup.json`) and a restore (its record) are completed. `signal` cancels the file writes.
 */
export const putDirectory = async (
  store: ObjectStore,
  files: ReadonlyArray<readonly [key: string, body: Buffer | string]>,
  writeMarker: () => Promise<void>,
  signal?: AbortSignal,
): Promise<void> => {
  await Promise.all(files.map(([key, body]) => store.put(key, body, signal ? { signal } : {})));
  await writeMarker();
};

/** Readers of the gzipped files of `store` (sidecar JSON, logs); errors name the key and the store. */
export const gzippedFiles = (store: ObjectStore) => ({
  /** The JSON value of a `*.json.gz` / `*-results.gz` file (`null` when it holds `null`). */
  json: async <T>(key: string): Promise<T | null> =>
    decodeJsonGz<T>(await getBuffer(store, key), `${key} in ${store.location}`),
  /** A `*-logs.gz` file as a stream of text, gunzipped as it is read. */
  textStream: async (key: string): Promise<Readable> => gunzipStream(await store.get(key)),
  /** A `*-logs.gz` file as text, whole. */
  text: async (key: string): Promise<string> =>
    decodeTextGz(await getBuffer(store, key), `${key} in ${store.location}`),
});
