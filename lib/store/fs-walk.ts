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

/** True when `dir` holds at least one key (stops at the first). */
export const hasKeys = async (dir: string): Promise<boolean> => {
  for await (const _ of walk(dir, "", "")) return true;
  return false;
};
