// The ObjectStore contract (Velero's ObjectStore plugin semantics), written once and run against every store.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { isStowageError, StoreError, ValidationError } from "../../lib/errors.ts";
import { getText, listAll, type ObjectStore } from "../../lib/store/object-store.ts";

/** A fresh, empty store per test, and how to dispose of it. */
export type StoreFactory = () => Promise<{ store: ObjectStore; cleanup(): Promise<void> }>;

const withStore = async (factory: StoreFactory, body: (store: ObjectStore) => Promise<void>) => {
  const { store, cleanup } = await factory();
  try {
    await body(store);
  } finally {
    await cleanup();
  }
};

const isStoreError = (code: string) => (error: unknown) => {
  assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
  assert.equal(error.code, code);
  return true;
};

/** A stream that yields `chunks` then fails. */
const failingStream = (chunks: string[]) =>
  new Readable({
    read() {
      const next = chunks.shift();
      if (next !== undefined) this.push(next);
      else this.destroy(new Error("source broke"));
    },
  });

export const objectStoreContract = (name: string, factory: StoreFactory): void => {
  describe(`ObjectStore contract: ${name}`, () => {
    it("round-trips strings, Buffers and streams, and overwrites", () =>
      withStore(factory, async (store) => {
        await store.put("a/string.txt", "héllo");
        await store.put("a/buffer.bin", Buffer.from([0, 1, 2, 255]));
        await store.put("a/stream.txt", Readable.from(["one ", "two ", "three"]));
        assert.equal(await getText(store, "a/string.txt"), "héllo");
        assert.deepEqual(
          [...(await (await store.get("a/buffer.bin")).toArray()).flatMap((c: Buffer) => [...c])],
          [0, 1, 2, 255],
        );
        assert.equal(await getText(store, "a/stream.txt"), "one two three");
        await store.put("a/string.txt", "replaced");
        assert.equal(await getText(store, "a/string.txt"), "replaced");
        await store.put("empty", "");
        assert.equal(await getText(store, "empty"), "");
      }));

    it("get of a missing key rejects with ERR_NOT_FOUND naming the key", () =>
      withStore(factory, async (store) => {
        await assert.rejects(store.get("backups/nope/velero-backup.json"), (error: unknown) => {
          isStoreError("ERR_NOT_FOUND")(error);
          assert.match((error as Error).message, /backups\/nope\/velero-backup\.json/);
          return true;
        });
      }));

    it("exists is true only for objects, not for missing keys or 'directories'", () =>
      withStore(factory, async (store) => {
        await store.put("backups/b1/velero-backup.json", "{}");
        assert.equal(await store.exists("backups/b1/velero-backup.json"), true);
        assert.equal(await store.exists("backups/b1/missing"), false);
        assert.equal(await store.exists("backups/b1"), false);
        assert.equal(await store.exists("backups"), false);
        await assert.rejects(store.get("backups/b1"), isStoreError("ERR_NOT_FOUND"));
      }));

    it("list yields full keys with string-prefix semantics, in byte order", () =>
      withStore(factory, async (store) => {
        const keys = [
          "backups/b2/x.gz",
          "backups/b1/velero-backup.json",
          "backups/b1/b1.tar.gz",
          "backups/b10/velero-backup.json",
          "backupsX/nope",
          "restores/r1/restore-r1-logs.gz",
          "a-c",
          "a/b",
        ];
        for (const key of keys) await store.put(key, key);
        assert.deepEqual(await listAll(store, "backups/b1/"), [
          "backups/b1/b1.tar.gz",
          "backups/b1/velero-backup.json",
        ]);
        assert.deepEqual(await listAll(store, "backups/b1"), [
          "backups/b1/b1.tar.gz",
          "backups/b1/velero-backup.json",
          "backups/b10/velero-backup.json",
        ]);
        assert.deepEqual(await listAll(store, "backups/"), [
          "backups/b1/b1.tar.gz",
          "backups/b1/velero-backup.json",
          "backups/b10/velero-backup.json",
          "backups/b2/x.gz",
        ]);
        assert.deepEqual(
          await listAll(store, ""),
          [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))),
        );
        assert.deepEqual(await listAll(store, "nothing/"), []);
        assert.deepEqual(await listAll(store, "backups/b3"), []);
      }));

    it("listCommonPrefixes returns FULL prefixes with the trailing delimiter", () =>
      withStore(factory, async (store) => {
        for (const key of [
          "backups/b1/velero-backup.json",
          "backups/b1/b1.tar.gz",
          "backups/b2/velero-backup.json",
          "backups/b2/deep/er/key",
          "backups/loose-file",
          "restores/r1/restore-r1-logs.gz",
          "restic/ns1/config",
        ]) {
          await store.put(key, "x");
        }
        assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), ["backups/b1/", "backups/b2/"]);
        assert.deepEqual(await store.listCommonPrefixes("", "/"), ["backups/", "restic/", "restores/"]);
        assert.deepEqual(await store.listCommonPrefixes("backups/b", "/"), ["backups/b1/", "backups/b2/"]);
        assert.deepEqual(await store.listCommonPrefixes("backups/b2/", "/"), ["backups/b2/deep/"]);
        assert.deepEqual(await store.listCommonPrefixes("backups/b1/", "/"), []);
        assert.deepEqual(await store.listCommonPrefixes("missing/", "/"), []);
        assert.deepEqual(await store.listCommonPrefixes("backups/", "-"), [
          "backups/b1/velero-",
          "backups/b2/velero-",
          "backups/loose-",
        ]);
      }));

    it("delete removes the object; deleting a missing key is not an error", () =>
      withStore(factory, async (store) => {
        await store.put("backups/b1/velero-backup.json", "{}");
        await store.put("backups/b1/b1.tar.gz", "tar");
        await store.delete("backups/b1/velero-backup.json");
        assert.equal(await store.exists("backups/b1/velero-backup.json"), false);
        assert.deepEqual(await listAll(store, "backups/"), ["backups/b1/b1.tar.gz"]);
        await store.delete("backups/b1/velero-backup.json");
        await store.delete("never/was/there");
        await store.delete("backups/b1/b1.tar.gz");
        assert.deepEqual(await listAll(store, ""), []);
        assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), []);
      }));

    it("ifNoneMatch refuses to overwrite and leaves the object untouched", () =>
      withStore(factory, async (store) => {
        await store.put("backups/b1/velero-backup.json", "first", { ifNoneMatch: true });
        await assert.rejects(
          store.put("backups/b1/velero-backup.json", "second", { ifNoneMatch: true }),
          isStoreError("ERR_ALREADY_EXISTS"),
        );
        await assert.rejects(
          store.put("backups/b1/velero-backup.json", Readable.from(["third"]), { ifNoneMatch: true }),
          isStoreError("ERR_ALREADY_EXISTS"),
        );
        assert.equal(await getText(store, "backups/b1/velero-backup.json"), "first");
        assert.deepEqual(await listAll(store, ""), ["backups/b1/velero-backup.json"]);
      }));

    it("ifNoneMatch lets exactly one of many concurrent writers win", () =>
      withStore(factory, async (store) => {
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => store.put("race/key", `writer ${i}`, { ifNoneMatch: true })),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.status)));
        for (const r of results) if (r.status === "rejected") isStoreError("ERR_ALREADY_EXISTS")(r.reason);
        assert.match(await getText(store, "race/key"), /^writer \d$/);
      }));

    it("a failing body stream rejects and leaves no object behind", () =>
      withStore(factory, async (store) => {
        await assert.rejects(store.put("broken/key", failingStream(["partial ", "data"])));
        assert.equal(await store.exists("broken/key"), false);
        assert.deepEqual(await listAll(store, ""), []);
        await store.put("kept/key", "old");
        await assert.rejects(store.put("kept/key", failingStream(["new"])));
        assert.equal(await getText(store, "kept/key"), "old");
      }));

    it("rejects keys that could escape the root or are malformed", () =>
      withStore(factory, async (store) => {
        for (const key of [
          "",
          "/etc/passwd",
          "../x",
          "a/../../b",
          "a/./b",
          "a\\b",
          "a//b",
          "a/",
          "..",
          "nul\0byte",
        ]) {
          for (const op of [
            () => store.put(key, "x"),
            () => store.get(key),
            () => store.exists(key),
            () => store.delete(key),
            () => store.signedUrl(key, 60),
          ]) {
            await assert.rejects(
              (async () => op())(),
              (error: unknown) => error instanceof ValidationError && /object key/.test(error.message),
              `key ${JSON.stringify(key)}`,
            );
          }
        }
        for (const prefix of ["/abs", "../", "a/../b/"]) {
          assert.throws(() => store.list(prefix), ValidationError);
          await assert.rejects((async () => store.listCommonPrefixes(prefix, "/"))(), ValidationError);
        }
        assert.deepEqual(await listAll(store, ""), []);
      }));

    it("signedUrl returns a URL for the key; bad ttl is refused", () =>
      withStore(factory, async (store) => {
        await store.put("backups/b1/b1-logs.gz", "log");
        const url = new URL(await store.signedUrl("backups/b1/b1-logs.gz", 600));
        assert.match(url.pathname, /backups\/b1\/b1-logs\.gz$/);
        await assert.rejects(store.signedUrl("backups/b1/b1-logs.gz", 0), ValidationError);
        await assert.rejects(store.signedUrl("backups/b1/b1-logs.gz", 1.5), ValidationError);
      }));

    it("an aborted put rejects with ERR_ABORTED and writes nothing", () =>
      withStore(factory, async (store) => {
        const controller = new AbortController();
        const slow = new Readable({ read() {} });
        slow.push("beginning ");
        const pending = store.put("aborted/key", slow, { signal: controller.signal });
        setTimeout(() => controller.abort(), 50);
        await assert.rejects(
          pending,
          (error: unknown) => isStowageError(error) && error.code === "ERR_ABORTED",
        );
        assert.equal(await store.exists("aborted/key"), false);
        const already = AbortSignal.abort();
        await assert.rejects(
          store.put("aborted/key2", "x", { signal: already }),
          (error: unknown) => isStowageError(error) && error.code === "ERR_ABORTED",
        );
        assert.equal(await store.exists("aborted/key2"), false);
      }));
  });
};
