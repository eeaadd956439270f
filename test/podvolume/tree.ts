/**
 * Directory trees for pod-volume tests: one with a 100 MB file, many small files, symlinks, unusual
 * permissions and owners, and a manifest (type, mode, owner, size, sha256, link target) to compare a
 * restored tree with the original.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, chown, lstat, mkdir, readdir, readlink, symlink, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** Builds the test tree in `dir`; `bigFileBytes` defaults to 100 MB. Returns the number of entries. */
export const makeTree = async (
  dir: string,
  options: { bigFileBytes?: number; smallFiles?: number } = {},
): Promise<void> => {
  const big = options.bigFileBytes ?? 100 * 1024 * 1024;
  await mkdir(join(dir, "data", "deep", "er", "still"), { recursive: true });
  // the big file in 8 MiB random chunks (incompressible, so restic stores it all)
  const chunk = 8 * 1024 * 1024;
  const parts: Buffer[] = [];
  for (let done = 0; done < big; done += chunk) parts.push(randomBytes(Math.min(chunk, big - done)));
  await writeFile(join(dir, "data", "big.bin"), Buffer.concat(parts));
  const small = options.smallFiles ?? 1500;
  for (let i = 0; i < small; i++) {
    const sub = join(dir, "small", String(i % 25).padStart(2, "0"));
    if (i < 25) await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f-${i}.txt`), `file ${i}\n${"x".repeat(i % 300)}`);
  }
  await writeFile(join(dir, "data", "deep", "er", "still", "leaf"), "leaf\n");
  await writeFile(join(dir, "empty"), "");
  await writeFile(join(dir, "name with spaces & ünïcode"), "odd name\n");
  await symlink("data/big.bin", join(dir, "link-to-big"));
  await symlink("/nonexistent/target", join(dir, "dangling"));
  await writeFile(join(dir, "secret.key"), "600\n");
  await chmod(join(dir, "secret.key"), 0o600);
  await writeFile(join(dir, "odd-mode"), "741\n");
  await chmod(join(dir, "odd-mode"), 0o741);
  await writeFile(join(dir, "read-only"), "444\n");
  await chmod(join(dir, "read-only"), 0o444);
  await writeFile(join(dir, "setuid-tool"), "#!/bin/sh\n");
  await chmod(join(dir, "setuid-tool"), 0o4755);
  await mkdir(join(dir, "shared-tmp"));
  await chmod(join(dir, "shared-tmp"), 0o1777);
  await mkdir(join(dir, "group-dir"));
  await chmod(join(dir, "group-dir"), 0o2750);
  await writeFile(join(dir, "owned"), "owned by 1234:2345\n");
  await chown(join(dir, "owned"), 1234, 2345);
};

const sha256 = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => hash.update(c))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });

/** One line per entry under `dir` (sorted): path, type, mode (octal, with special bits), uid:gid, size, content hash or link target. */
export const manifest = async (
  dir: string,
  skip: (path: string) => boolean = () => false,
): Promise<string[]> => {
  const lines: string[] = [];
  const walk = async (current: string) => {
    for (const name of (await readdir(current)).sort()) {
      const path = join(current, name);
      const rel = relative(dir, path);
      if (skip(rel)) continue;
      const info = await lstat(path);
      const mode = (info.mode & 0o7777).toString(8).padStart(4, "0");
      const owner = `${info.uid}:${info.gid}`;
      if (info.isSymbolicLink()) lines.push(`${rel} link ${mode} ${owner} -> ${await readlink(path)}`);
      else if (info.isDirectory()) {
        lines.push(`${rel} dir ${mode} ${owner}`);
        await walk(path);
      } else lines.push(`${rel} file ${mode} ${owner} ${info.size} ${await sha256(path)}`);
    }
  };
  await walk(dir);
  return lines;
};
