/**
 * Walking a directory store in S3 key order. Temp files (in-flight writes) and anything that is neither a
 * file nor a directory are skipped; symlinks count as what they point to.
 */
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { errnoCode } from "./fs-errors.ts";
import { compareKeys } from "./keys.ts";

/** Names of in-flight temp files start with this; they are never listed and no key may use it. */
export const TEMP_FILE_PREFIX = ".stowage-tmp-";

/** errno codes meaning "no such file or directory" along the path. */
export const NOT_FOUND = new Set(["ENOENT", "ENOTDIR"]);

/** Directory entries as keys-to-be, sorted as S3 sorts keys (a directory sorts as its name plus `/`). */
export const entries = async (dir: string): Promise<Array<{ name: string; isDir: boolean }>> => {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (NOT_FOUND.has(errnoCode(error) ?? "")) return [];
    throw error;
  }
  const out: Array<{ name: string; isDir: boolean }> = [];
  for (const d of dirents) {
    if (d.name.startsWith(TEMP_FILE_PREFIX)) continue;
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink()) {
      const target = await stat(join(dir, d.name)).catch(() => undefined);
      isDir = target?.isDirectory() ?? false;
      isFile = target?.isFile() ?? false;
    }
    if (isDir || isFile) out.push({ name: d.name, isDir });
  }
  return out.sort((a, b) => compareKeys(a.isDir ? `${a.name}/` : a.name, b.isDir ? `${b.name}/` : b.name));
};

/** Every key under `dir` (named `keyBase` + relative path) whose first segment starts with `namePrefix`, in order. */
export async function* walk(dir: string, keyBase: string, namePrefix: string): AsyncGenerator<string> {
  for (const entry of await entries(dir)) {
    if (!entry.name.startsWith(namePrefix)) continue;
    if (entry.isDir) yield* walk(join(dir, entry.name), `${keyBase}${entry.name}/`, "");
    else yield `${keyBase}${entry.name}`;
  }
}

/** A temp file untouched this long is stale whoever wrote it: 24 hours. */
export const STALE_TEMP_FILE_MS = 24 * 60 * 60_000;

/** Whether process `pid` lives on this host (a process of another user counts as alive). */
const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== "ESRCH";
  }
};

/**
 * The temp files in `dir` whose write can never finish — their writer (the pid in the name) is no longer
 * running on this host, or they have not changed for {@link STALE_TEMP_FILE_MS} — when `dir` holds nothing
 * else; `undefined` when it holds anything but such temp files (a key, a directory, a live write).
 */
export const abandonedTempFiles = async (dir: string, now = Date.now()): Promise<string[] | undefined> => {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale: string[] = [];
  for (const name of names) {
    if (!name.startsWith(TEMP_FILE_PREFIX)) return undefined;
    const pid = Number(/^(\d+)-/.exec(name.slice(TEMP_FILE_PREFIX.length))?.[1]);
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info) continue; // gone meanwhile
    const dead = Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
    if (!dead && now - info.mtimeMs < STALE_TEMP_FILE_MS) return undefined;
    stale.push(join(dir, name));
  }
  return stale;
};

/** True when `dir` holds at least one key (stops at the first). */
export const hasKeys = async (dir: string): Promise<boolean> => {
  for await (const _ of walk(dir, "", "")) return true;
  return false;
};
