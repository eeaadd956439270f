/**
 * `fsStore`: a local directory as an object store, the embedded default. Keys map to files under the
 * root (`<dir>/<prefix>/<key>`); writes are atomic (temp file in the same directory, then rename), so a
 * reader never sees half an object, and deleting the last key of a directory removes the now-empty
 * directories up to the root, as Velero's example file store does.
 *
 * `ifNoneMatch` publishes with link(2), which fails atomically when the key exists, so exactly one of
 * several concurrent writers wins. On filesystems without hard links (some FUSE/SMB mounts) it falls back
 * to check-then-rename, where two writers racing on the same key within microseconds may both succeed.
 * Not safe for several hosts sharing one NFS directory; use S3 for that.
 *
 * Backups hold Secrets, so every file the store writes is 0600 and every directory it creates 0700,
 * whatever the process umask (modes are set explicitly after create); directories that already exist
 * keep their mode.
 */
import { randomBytes } from "node:crypto";
import { chmod, type FileHandle, link, mkdir, open, rename, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { ConfigError, describeValue, StoreError, ValidationError } from "../errors.ts";
import { checkedStore } from "./checked-store.ts";
import { errnoCode, fsError } from "./fs-errors.ts";
import { abandonedTempFiles, entries, hasKeys, NOT_FOUND, TEMP_FILE_PREFIX, walk } from "./fs-walk.ts";
import { commonPrefixesOf, validateKey } from "./keys.ts";
import type { ObjectBody, ObjectStore, PutOptions } from "./object-store.ts";
import { isInMemoryBody, toBuffer } from "./object-store.ts";

export { TEMP_FILE_PREFIX } from "./fs-walk.ts";

/** Mode of every object file {@link fsStore} writes: owner read/write only. */
const FS_STORE_FILE_MODE = 0o600;
/** Mode of every directory {@link fsStore} creates: owner only. */
const FS_STORE_DIR_MODE = 0o700;

/**
 * Creates `dir` and its missing parents as {@link FS_STORE_DIR_MODE}, whatever the umask; directories
 * that already exist are left as they are.
 */
const makeDirectories = async (dir: string): Promise<void> => {
  const first = await mkdir(dir, { recursive: true, mode: FS_STORE_DIR_MODE });
  if (first === undefined) return;
  // mkdir's mode is masked by the umask: set it on each directory created, from `first` down to `dir`.
  const created: string[] = [];
  for (let d = dir; d.length >= first.length; d = dirname(d)) {
    created.push(d);
    if (d === first || dirname(d) === d) break;
  }
  for (const d of created.reverse()) await chmod(d, FS_STORE_DIR_MODE);
};

/** Options of {@link fsStore}. */
export interface FsStoreOptions {
  /**
   * Subdirectory of `dir` that is the store's root (Velero's BSL `prefix`); leading and trailing `/` are trimmed.
   * @default "" (the directory itself)
   */
  readonly prefix?: string;
  /**
   * Flush each file to disk (`fsync`) before it becomes visible. Turn off only for scratch stores in tests.
   * @default true
   */
  readonly fsync?: boolean;
}

const normalizeOptions = (dir: unknown, options: FsStoreOptions) => {
  if (typeof dir !== "string" || dir.trim() === "") {
    throw new ConfigError(
      `fsStore: expected \`dir\` to be a directory path such as "./backups", got ${describeValue(dir)}`,
    );
  }
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  if (prefix !== "") {
    try {
      validateKey(prefix);
    } catch (error) {
      throw new ConfigError(
        `fsStore: \`prefix\` ${JSON.stringify(options.prefix)} is not a relative subdirectory (${(error as Error).message}); use e.g. "team-a"`,
        { cause: error },
      );
    }
  }
  return { root: resolve(dir, ...prefix.split("/").filter(Boolean)), fsync: options.fsync ?? true };
};

/** A local directory store rooted at `dir` (created on the first write). */
export const fsStore = (dir: string, options: FsStoreOptions = {}): ObjectStore => {
  const { root, fsync } = normalizeOptions(dir, options);
  const location = pathToFileURL(root).href;

  const pathOf = (key: string): string => {
    validateKey(key);
    if (key.split("/").some((segment) => segment.startsWith(TEMP_FILE_PREFIX))) {
      throw new ValidationError(
        [
          `${JSON.stringify(key)} must not contain a segment starting with "${TEMP_FILE_PREFIX}" (reserved for temp files)`,
        ],
        "object key",
      );
    }
    const path = join(root, ...key.split("/"));
    const rel = relative(root, path);
    // Belt and braces: validateKey already refuses everything that could escape.
    if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
      throw new ValidationError([`${JSON.stringify(key)} resolves outside the store root`], "object key");
    }
    return path;
  };

  /** Opens a fresh temp file next to `path`, creating parents (retrying if a concurrent delete pruned them). */
  const openTemp = async (path: string): Promise<{ tmp: string; handle: FileHandle }> => {
    const parent = dirname(path);
    for (let attempt = 1; ; attempt++) {
      const tmp = join(parent, `${TEMP_FILE_PREFIX}${process.pid}-${randomBytes(8).toString("hex")}`);
      try {
        await makeDirectories(parent);
        const handle = await open(tmp, "wx", FS_STORE_FILE_MODE);
        try {
          await handle.chmod(FS_STORE_FILE_MODE); // open's mode is masked by the umask
        } catch (error) {
          await handle.close();
          await unlink(tmp).catch(() => {});
          throw error;
        }
        return { tmp, handle };
      } catch (error) {
        if (errnoCode(error) !== "ENOENT" || attempt >= 5) throw error;
      }
    }
  };

  const writeTemp = async (handle: FileHandle, body: ObjectBody, signal: AbortSignal | undefined) => {
    if (isInMemoryBody(body)) {
      try {
        await handle.writeFile(toBuffer(body));
        if (fsync) await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    }
    // The write stream owns the handle from here and closes it (after fsync when `flush` is set).
    const sink = handle.createWriteStream({ flush: fsync });
    await pipeline(body, sink, signal ? { signal } : {});
  };

  /** Publishes `tmp` at `path` without replacing an existing object (see the note on filesystems without hard links). */
  const publishExclusive = async (tmp: string, path: string, key: string) => {
    try {
      // link(2) fails with EEXIST atomically, so two concurrent writers cannot both win.
      await link(tmp, path);
      await unlink(tmp);
      return;
    } catch (error) {
      const code = errnoCode(error);
      if (code === "EEXIST") throw alreadyExists(key);
      // Filesystems without hard links (some FUSE/SMB mounts): check-then-rename, which is racy —
      // two writers of the same key at the same instant may both succeed, the last rename winning.
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw error;
    }
    if (await isFile(path)) throw alreadyExists(key);
    await rename(tmp, path);
  };

  const alreadyExists = (key: string) =>
    new StoreError(
      `"${key}" already exists in ${location} and ifNoneMatch was set: choose another name or delete the existing object first`,
      { code: "ERR_ALREADY_EXISTS" },
    );

  const isFile = async (path: string): Promise<boolean> => {
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (NOT_FOUND.has(errnoCode(error) ?? "")) return false;
      throw error;
    }
  };

  /** Splits a list prefix into its directory part (`backups/`) and the partial name after it (`b`). */
  const splitPrefix = (prefix: string) => {
    const cut = prefix.lastIndexOf("/") + 1;
    const dirPart = prefix.slice(0, cut);
    return { dirPart, namePrefix: prefix.slice(cut), dir: join(root, ...dirPart.split("/").filter(Boolean)) };
  };

  async function* listKeys(prefix: string): AsyncGenerator<string> {
    const { dirPart, namePrefix, dir } = splitPrefix(prefix);
    try {
      yield* walk(dir, dirPart, namePrefix);
    } catch (error) {
      throw fsError(error, "list", prefix, location);
    }
  }

  return checkedStore({
    location,

    async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<void> {
      const path = pathOf(key);
      let tmp: string | undefined;
      try {
        const opened = await openTemp(path);
        tmp = opened.tmp;
        await writeTemp(opened.handle, body, options.signal);
        if (options.ifNoneMatch) await publishExclusive(tmp, path, key);
        else await rename(tmp, path);
        tmp = undefined;
      } catch (error) {
        // Unblock whoever is writing into the stream (a tar/gzip pipeline would otherwise wait forever).
        if (body instanceof Readable && !body.destroyed) body.destroy();
        throw fsError(error, "write", key, location);
      } finally {
        if (tmp !== undefined) await unlink(tmp).catch(() => {});
      }
    },

    async get(key: string): Promise<Readable> {
      const path = pathOf(key);
      let handle: FileHandle;
      try {
        handle = await open(path, "r");
      } catch (error) {
        if (NOT_FOUND.has(errnoCode(error) ?? "")) throw notFound(key);
        throw fsError(error, "read", key, location);
      }
      let isFile = false;
      try {
        isFile = (await handle.stat()).isFile();
      } finally {
        if (!isFile) await handle.close();
      }
      if (!isFile) throw notFound(key); // a "directory" of other keys is not an object
      return handle.createReadStream();
    },

    async exists(key: string): Promise<boolean> {
      const path = pathOf(key);
      try {
        return await isFile(path);
      } catch (error) {
        throw fsError(error, "check", key, location);
      }
    },

    list(prefix: string): AsyncIterable<string> {
      return listKeys(prefix);
    },

    async listCommonPrefixes(prefix: string, delimiter: string): Promise<string[]> {
      try {
        const { dirPart, namePrefix, dir } = splitPrefix(prefix);
        if (delimiter !== "/") {
          const keys: string[] = [];
          for await (const key of walk(dir, dirPart, namePrefix)) keys.push(key);
          return commonPrefixesOf(keys, prefix, delimiter);
        }
        const out: string[] = [];
        for (const entry of await entries(dir)) {
          // A directory holding only temp files (a write in flight) is not a prefix yet, as on S3.
          if (entry.isDir && entry.name.startsWith(namePrefix) && (await hasKeys(join(dir, entry.name)))) {
            out.push(`${dirPart}${entry.name}/`);
          }
        }
        return out;
      } catch (error) {
        throw fsError(error, "list", prefix, location);
      }
    },

    async delete(key: string): Promise<void> {
      const path = pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        const code = errnoCode(error) ?? "";
        // A missing key, or a "key" that is really a directory of other keys: nothing to delete, as on S3.
        if (NOT_FOUND.has(code) || code === "EISDIR" || (code === "EPERM" && !(await isFile(path)))) return;
        throw fsError(error, "delete", key, location);
      }
      // Remove directories left empty, up to (not including) the root, with the temp files of writes
      // that can never finish (a writer killed mid-write): they are no object, so they go with the
      // directory's last key.
      for (let dir = dirname(path); dir !== root && dir.startsWith(root + sep); dir = dirname(dir)) {
        try {
          await rmdir(dir);
        } catch (error) {
          if (errnoCode(error) === "ENOENT") continue;
          const abandoned = await abandonedTempFiles(dir);
          if (!abandoned?.length) break; // ENOTEMPTY/EEXIST: another key lives here (or a write is in flight)
          await Promise.all(abandoned.map((tmp) => unlink(tmp).catch(() => undefined)));
          try {
            await rmdir(dir);
          } catch {
            break;
          }
        }
      }
    },

    async signedUrl(key: string, _ttlSeconds: number): Promise<string> {
      return pathToFileURL(pathOf(key)).href;
    },
  });

  function notFound(key: string): StoreError {
    return new StoreError(
      `"${key}" does not exist in ${location}: check the key (list the store to see what exists)`,
      {
        code: "ERR_NOT_FOUND",
      },
    );
  }
};
