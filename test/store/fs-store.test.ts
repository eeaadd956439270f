import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { chmod, mkdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { ConfigError, StoreError, ValidationError } from "../../lib/errors.ts";
import { fsStore, TEMP_FILE_PREFIX } from "../../lib/store/fs-store.ts";
import { getText, listAll } from "../../lib/store/object-store.ts";
import { modesUnder, withUmask } from "../support/modes.ts";
import { objectStoreContract } from "./store-contract.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "stowage-fs-store-"));

objectStoreContract("fsStore", async () => {
  const dir = tempDir();
  return { store: fsStore(dir, { fsync: false }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

/** Every file and directory under `dir`, relative, sorted. */
const tree = (dir: string): string[] =>
  existsSync(dir)
    ? (readdirSync(dir, { recursive: true }) as string[]).map((p) => p.replaceAll("\\", "/")).sort()
    : [];

describe("fsStore", () => {
  it("writes atomically: until the stream ends, readers see the old object and no temp key", async () => {
    const dir = tempDir();
    try {
      const store = fsStore(dir);
      await store.put("backups/b1/b1.tar.gz", "old");
      const body = new PassThrough();
      const pending = store.put("backups/b1/b1.tar.gz", body);
      body.write("new-part-1 ");
      await sleep(30);
      assert.equal(await getText(store, "backups/b1/b1.tar.gz"), "old");
      assert.deepEqual(await listAll(store, ""), ["backups/b1/b1.tar.gz"]);
      assert.deepEqual(await store.listCommonPrefixes("backups/b1/", "/"), []);
      // the temp file exists on disk, next to the target, with a name no key may have
      const onDisk = readdirSync(join(dir, "backups", "b1"));
      assert.equal(onDisk.filter((n) => n.startsWith(TEMP_FILE_PREFIX)).length, 1, onDisk.join(","));
      body.end("new-part-2");
      await pending;
      assert.equal(await getText(store, "backups/b1/b1.tar.gz"), "new-part-1 new-part-2");
      assert.deepEqual(readdirSync(join(dir, "backups", "b1")), ["b1.tar.gz"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a directory holding only an in-flight write is not a common prefix", async () => {
    const dir = tempDir();
    try {
      const store = fsStore(dir);
      const body = new PassThrough();
      const pending = store.put("backups/b9/velero-backup.json", body);
      body.write("{");
      await sleep(30);
      assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), []);
      body.end("}");
      await pending;
      assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), ["backups/b9/"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("never writes outside its directory, and refuses keys that look like temp files", async () => {
    const parent = tempDir();
    try {
      const dir = join(parent, "store");
      const store = fsStore(dir);
      for (const key of ["../escape", "a/../../escape", "/tmp/escape", "..\\escape"]) {
        await assert.rejects(store.put(key, "x"), ValidationError);
      }
      await assert.rejects(store.put(`a/${TEMP_FILE_PREFIX}1`, "x"), /reserved for temp files/);
      assert.deepEqual(tree(parent), []);
      await store.put("ok", "x");
      assert.deepEqual(tree(parent), ["store", "store/ok"]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it("creates parent directories, and delete prunes emptied ones up to (not including) the root", async () => {
    const dir = tempDir();
    try {
      const store = fsStore(dir);
      await store.put("backups/b1/velero-backup.json", "{}");
      await store.put("backups/b1/b1.tar.gz", "t");
      await store.put("backups/b2/velero-backup.json", "{}");
      await store.delete("backups/b1/velero-backup.json");
      assert.ok(existsSync(join(dir, "backups", "b1")), "b1 still holds a key");
      await store.delete("backups/b1/b1.tar.gz");
      assert.deepEqual(tree(dir), ["backups", "backups/b2", "backups/b2/velero-backup.json"]);
      await store.delete("backups/b2/velero-backup.json");
      assert.deepEqual(tree(dir), []);
      assert.ok(existsSync(dir), "the root itself stays");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("honours prefix as a subdirectory, and reads a missing root as an empty store", async () => {
    const dir = tempDir();
    try {
      const store = fsStore(dir, { prefix: "/team-a/prod/" });
      assert.deepEqual(await listAll(store, ""), []);
      assert.deepEqual(await store.listCommonPrefixes("", "/"), []);
      await store.put("backups/b1/velero-backup.json", "{}");
      assert.equal(
        await readFile(join(dir, "team-a", "prod", "backups", "b1", "velero-backup.json"), "utf8"),
        "{}",
      );
      assert.equal(store.location, `file://${join(dir, "team-a", "prod")}`);
      assert.deepEqual(await fsStore(dir).listCommonPrefixes("", "/"), ["team-a/"]);
      assert.throws(() => fsStore(dir, { prefix: "../up" }), ConfigError);
      assert.throws(() => fsStore(""), ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reports a key that collides with a directory of keys clearly", async () => {
    const dir = tempDir();
    try {
      const store = fsStore(dir);
      await store.put("a/b", "x");
      await assert.rejects(store.put("a", "y"), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, /cannot write "a".*EISDIR.*cannot hold both `a` and `a\/b`/);
        return true;
      });
      await assert.rejects(store.put("a/b/c", "z"), /(ENOTDIR|EEXIST).*cannot hold both/);
      await store.delete("a"); // a "directory", not an object: nothing to delete
      assert.equal(await getText(store, "a/b"), "x");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("ignores stray temp files when listing and signs file:// URLs", async () => {
    const dir = tempDir();
    try {
      const store = fsStore(dir);
      await mkdir(join(dir, "backups", "b1"), { recursive: true });
      writeFileSync(join(dir, "backups", "b1", `${TEMP_FILE_PREFIX}123-abc`), "half");
      assert.deepEqual(await listAll(store, ""), []);
      assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), []);
      await store.put("backups/b1/b1-logs.gz", "log");
      const url = await store.signedUrl("backups/b1/b1-logs.gz", 600);
      assert.equal(await readFile(fileURLToPath(url), "utf8"), "log");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const mask of [0o000, 0o022, 0o277]) {
    it(`writes files 0600 and creates directories 0700 under umask ${mask.toString(8).padStart(3, "0")}`, async () => {
      const dir = tempDir();
      try {
        const root = join(dir, "store");
        await withUmask(mask, async () => {
          const store = fsStore(root, { prefix: "team-a" });
          await store.put("backups/b1/b1.tar.gz", "secret data");
          const body = new PassThrough();
          const pending = store.put("backups/b1/b1-logs.gz", body);
          body.end("streamed");
          await pending;
          await store.put("backups/b1/b1.tar.gz", "replaced", { ifNoneMatch: false });
        });
        const modes = modesUnder(root);
        const wrong = modes.filter(([rel, mode]) => {
          const isFile = rel.endsWith(".gz");
          return mode !== (isFile ? 0o600 : 0o700);
        });
        assert.deepEqual(wrong, [], "every file is 0600 and every directory 0700");
        assert.equal(modes.length, 6);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it("keeps using a store whose existing directories are 0755", async () => {
    const dir = tempDir();
    try {
      await mkdir(join(dir, "backups", "b1"), { recursive: true });
      await chmod(join(dir, "backups"), 0o755);
      await chmod(join(dir, "backups", "b1"), 0o755);
      writeFileSync(join(dir, "backups", "b1", "old.json"), "{}", { mode: 0o644 });
      const store = fsStore(dir);
      assert.equal(await getText(store, "backups/b1/old.json"), "{}");
      await store.put("backups/b1/new.json", "[]");
      assert.equal(await getText(store, "backups/b1/new.json"), "[]");
      assert.equal((await stat(join(dir, "backups", "b1"))).mode & 0o777, 0o755, "existing modes are kept");
      assert.equal((await stat(join(dir, "backups", "b1", "new.json"))).mode & 0o777, 0o600);
      await store.delete("backups/b1/old.json");
      assert.deepEqual(await listAll(store, ""), ["backups/b1/new.json"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
