/**
 * The `ObjectStore` seam: blob operations only, in Velero's ObjectStore plugin contract
 * (`pkg/plugin/velero/object_store.go`). A store owns its root (a bucket plus prefix, or a directory),
 * so every key here is relative to that root: `backups/b1/velero-backup.json`, never `my-prefix/backups/…`.
 *
 * Keys use `/` as the separator. What a key may look like is checked by `validateKey` (keys.ts);
 * the stores built into Stowage enforce it, and a custom store should too.
 */
import { Readable } from "node:stream";
import { buffer as readAll, text as readText } from "node:stream/consumers";

/** What `put` accepts: a stream (uploaded as it is read, never buffered whole), a Buffer, or a string (UTF-8). */
export type ObjectBody = Readable | Buffer | Uint8Array | string;

/** Options of {@link ObjectStore.put}. */
export interface PutOptions {
  /**
   * MIME type stored with the object (S3 `Content-Type`); ignored by the directory store.
   * @default "application/octet-stream" (S3); nothing is stored by `fsStore`
   */
  readonly contentType?: string;
  /**
   * Fail with a `StoreError` of code `ERR_ALREADY_EXISTS` instead of overwriting when the key exists
   * (S3 `If-None-Match: *`). This is how "a backup with that name already exists" is made race-free.
   * @default false
   */
  readonly ifNoneMatch?: boolean;
  /**
   * Cancels the upload; the partial object is discarded and the call rejects with an `AbortError`.
   * @default no cancellation
   */
  readonly signal?: AbortSignal;
}

/**
 * A place to keep blobs, addressed by key. Implementations: `fsStore` (a local directory), `s3Store`
 * (S3 and S3-compatible services), or your own, registered as a provider.
 *
 * Contract (shared with Velero):
 * - `list` yields full keys (relative to the store root), in ascending byte order;
 * - `listCommonPrefixes("backups/", "/")` returns FULL prefixes including the input prefix and the
 *   trailing delimiter: `["backups/b1/", "backups/b2/"]`;
 * - `get` of a missing key rejects with a `StoreError` of code `ERR_NOT_FOUND`;
 * - `delete` of a missing key succeeds;
 * - a reader never sees half an object.
 */
export interface ObjectStore {
  /** Where this store points, for messages and logs (`s3://bucket/prefix`, `file:///var/backups`). Never holds secrets. */
  readonly location: string;
  /** Writes `key`, replacing any existing object unless `ifNoneMatch` is set. Streams are consumed once. */
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<void>;
  /** Opens `key` for reading; rejects with code `ERR_NOT_FOUND` when it does not exist. */
  get(key: string): Promise<Readable>;
  /** True when `key` exists as an object. */
  exists(key: string): Promise<boolean>;
  /** Every key starting with `prefix` (a plain string prefix, not a directory), ascending. */
  list(prefix: string): AsyncIterable<string>;
  /**
   * The distinct "directories" directly under `prefix`: for each key starting with `prefix` that contains
   * `delimiter` after it, `prefix + <text up to and including the delimiter>`. Ascending, no duplicates.
   */
  listCommonPrefixes(prefix: string, delimiter: string): Promise<string[]>;
  /** Removes `key`; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * A URL that downloads `key` without further credentials for `ttlSeconds` (Velero uses 600).
   * `fsStore` returns a `file://` URL (no expiry).
   */
  signedUrl(key: string, ttlSeconds: number): Promise<string>;
}

/** Reads a whole object into memory. Only for objects known to be small (metadata, results). */
export const getBuffer = async (store: ObjectStore, key: string): Promise<Buffer> =>
  readAll(await store.get(key));

/** Reads a whole object as UTF-8 text. Only for objects known to be small. */
export const getText = async (store: ObjectStore, key: string): Promise<string> =>
  readText(await store.get(key));

/** Collects `store.list(prefix)` into an array. */
export const listAll = async (store: ObjectStore, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys;
};

/** A body as a Readable (strings are UTF-8). */
export const toReadable = (body: ObjectBody): Readable => {
  if (body instanceof Readable) return body;
  return Readable.from([toBuffer(body)], { objectMode: false });
};

/** An in-memory body as a Buffer, without copying Buffers and Uint8Arrays. */
export const toBuffer = (body: Buffer | Uint8Array | string): Buffer => {
  if (typeof body === "string") return Buffer.from(body, "utf8");
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
};

/** True for bodies already fully in memory (their size is known up front). */
export const isInMemoryBody = (body: ObjectBody): body is Buffer | Uint8Array | string =>
  !(body instanceof Readable);

/**
 * What `read` resolves to, or `null` when it rejects with `ERR_NOT_FOUND` (an optional file that is
 * absent); any other error is rethrown.
 */
export const nullIfNotFound = async <T>(read: Promise<T>): Promise<T | null> => {
  try {
    return await read;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === "ERR_NOT_FOUND") return null;
    throw error;
  }
};
