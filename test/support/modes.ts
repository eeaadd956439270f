import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** Every path under `root` (and `root` itself) with its permission bits, e.g. `["backups/b1", 0o700]`. */
export const modesUnder = (root: string): Array<[string, number]> => [
  [".", lstatSync(root).mode & 0o777],
  ...(readdirSync(root, { recursive: true }) as string[])
    .map((rel): [string, number] => [rel.replaceAll("\\", "/"), lstatSync(join(root, rel)).mode & 0o777])
    .sort(([a], [b]) => a.localeCompare(b)),
];

/** Runs `body` with the process umask set to `mask`, restoring the previous umask after. */
export const withUmask = async <T>(mask: number, body: () => Promise<T>): Promise<T> => {
  const previous = process.umask(mask);
  try {
    return await body();
  } finally {
    process.umask(previous);
  }
};
