/**
 * Temp files of fsStore writes that can never finish — their writer was killed (SIGKILL, a real child
 * process) — are no objects, but they used to keep a deleted backup's directory alive, invisible to list,
 * delete and GC. Deleting the directory's keys now removes them; a live writer's temp file stays.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { deleteBackup, fsStore } from "../../lib/index.ts";
import { tempDir } from "../podvolume/support.ts";

const WRITER = fileURLToPath(new URL("./fs-writer-child.ts", import.meta.url));
const TEMP = ".stowage-tmp-";

/** The temp files in `dir` that hold data. */
const tempFiles = async (dir: string): Promise<string[]> => {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names) {
    if (name.startsWith(TEMP) && ((await stat(join(dir, name)).catch(() => undefined))?.size ?? 0) > 0) {
      found.push(name);
    }
  }
  return found;
};

/** Starts a writer of `key` into `root` and resolves once its temp file holds data. */
const startWriter = async (root: string, key: string): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, root, key], { stdio: "ignore" });
  const dir = join(root, ...key.split("/").slice(0, -1));
  for (let i = 0; i < 600 && (await tempFiles(dir)).length === 0; i++) await sleep(100);
  assert.equal((await tempFiles(dir)).length, 1, `the writer of ${key} has its temp file`);
  return child;
};

const kill = async (child: ChildProcess) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
};

describe("fsStore: temp files of killed writes (real child processes)", () => {
  it("deleting a backup removes the temp file a killed write left in its directory; a live write's stays", async () => {
    const root = tempDir("fs-tmp");
    const store = fsStore(root, { fsync: false });
    await store.put("backups/b1/b1-stowage-claim.json", "{}");
    await store.put("backups/b1/b1-logs.gz", "x");
    const killed = await startWriter(root, "backups/b1/b1.tar.gz");
    await kill(killed);
    assert.equal(
      (await tempFiles(join(root, "backups", "b1"))).length,
      1,
      "the killed write left its temp file",
    );

    const deleted = await deleteBackup(store, "b1");
    assert.deepEqual(deleted.deleted.sort(), ["backups/b1/b1-logs.gz", "backups/b1/b1-stowage-claim.json"]);
    assert.equal(existsSync(join(root, "backups", "b1")), false, "the directory is gone, temp file and all");

    // a write still going on is left alone, and so is its directory
    await store.put("backups/b2/b2-logs.gz", "x");
    const live = await startWriter(root, "backups/b2/b2.tar.gz");
    try {
      await deleteBackup(store, "b2");
      assert.equal(
        (await tempFiles(join(root, "backups", "b2"))).length,
        1,
        "the live write's temp file stays",
      );
    } finally {
      await kill(live);
    }
  });
});
