import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import type { ArchiveReaderOptions } from "../../lib/format/index.ts";
import {
  assertReaderRefuses,
  type CraftedEntry,
  craftTar,
  craftTarGz,
  itemJson,
  paxRecord,
} from "./support.ts";

// base/ holds parent/ (where extraction directories are made) and nothing else, ever.
const base = mkdtempSync(join(tmpdir(), "stowage-hostile-test-"));
const parent = join(base, "parent");
mkdirSync(parent);
const cwdBefore = readdirSync(process.cwd()).sort();

const assertNothingWritten = (): void => {
  assert.deepEqual(readdirSync(base), ["parent"], "nothing appeared beside the temp parent");
  assert.deepEqual(readdirSync(parent), [], "the extraction directory was removed");
  assert.deepEqual(readdirSync(process.cwd()).sort(), cwdBefore, "nothing appeared in the working directory");
  assert.equal(existsSync("/tmp/stowage-evil"), false);
};
after(() => {
  assertNothingWritten();
  rmSync(base, { recursive: true, force: true });
});

const VERSION: CraftedEntry = { name: "metadata/version", data: "1.1.0\n" };
const ITEM: CraftedEntry = {
  name: "resources/pods/namespaces/shop/a.json",
  data: itemJson("Pod", "a", "shop"),
};

const refuses = async (gz: Buffer, message: RegExp, options: ArchiveReaderOptions = {}): Promise<void> => {
  await assertReaderRefuses(gz, message, parent, options);
  assertNothingWritten();
};

describe("archive reader refuses hostile archives", () => {
  test("path traversal: ../evil", async () => {
    await refuses(
      craftTarGz([VERSION, { name: "../evil", data: "x" }]),
      /"\.\.\/evil": it contains a "\.\." segment/,
    );
  });

  test("path traversal inside resources/: resources/../../x", async () => {
    await refuses(
      craftTarGz([VERSION, ITEM, { name: "resources/../../stowage-evil", data: "x" }]),
      /"resources\/\.\.\/\.\.\/stowage-evil": it contains a "\.\." segment/,
    );
  });

  test("absolute path", async () => {
    await refuses(craftTarGz([VERSION, { name: "/tmp/stowage-evil", data: "x" }]), /it is an absolute path/);
  });

  test("path traversal hidden in a PAX or GNU long-name record", async () => {
    const record = paxRecord;
    const pax = { name: "PaxHeader", typeflag: "x", data: record("path", "../../stowage-evil") };
    await refuses(
      craftTarGz([VERSION, pax, { name: "innocent.json", data: "x" }]),
      /"\.\.\/\.\.\/stowage-evil"/,
    );
    const gnu = { name: "././@LongLink", typeflag: "L", data: "/tmp/stowage-evil\0" };
    await refuses(craftTarGz([VERSION, gnu, { name: "innocent.json", data: "x" }]), /absolute path/);
    const paxSize = { name: "PaxHeader", typeflag: "x", data: record("size", String(2 ** 40)) };
    await refuses(
      craftTarGz([VERSION, paxSize, { name: ITEM.name, data: "{}" }]),
      /declares 1099511627776 bytes/,
    );
  });

  test("symlink", async () => {
    await refuses(
      craftTarGz([
        VERSION,
        { name: "resources/pods/cluster/x.json", typeflag: "2", linkname: "/etc/passwd" },
      ]),
      /"resources\/pods\/cluster\/x\.json": it is a symlink pointing to "\/etc\/passwd", but a Velero archive holds only regular files/,
    );
  });

  test("hardlink", async () => {
    await refuses(
      craftTarGz([
        VERSION,
        ITEM,
        { name: "resources/pods/cluster/y.json", typeflag: "1", linkname: ITEM.name },
      ]),
      /it is a link pointing to/,
    );
  });

  test("character device and fifo", async () => {
    await refuses(
      craftTarGz([VERSION, { name: "resources/dev", typeflag: "3" }]),
      /it is a character-device/,
    );
    await refuses(craftTarGz([VERSION, { name: "resources/fifo", typeflag: "6" }]), /it is a fifo/);
  });

  test("a header declaring a 2 GB entry is refused from the header, before any data", async () => {
    // The header alone: no 2 GB body follows (none is allocated) — the size must be judged first.
    const gz = craftTarGz([VERSION, { name: ITEM.name, size: 2 * 1024 ** 3 }], { end: false });
    await refuses(gz, /its header declares 2147483648 bytes, more than maxEntryBytes \(67108864\)/);
  });

  test("an entry over a small maxEntryBytes", async () => {
    await refuses(
      craftTarGz([VERSION, { name: ITEM.name, data: "x".repeat(2048) }]),
      /declares 2048 bytes, more than maxEntryBytes \(1024\)/,
      { maxEntryBytes: 1024 },
    );
  });

  // A 40 MiB all-zero item gzips to ~40 KB: a small bomb.
  const bomb = gzipSync(craftTar([VERSION, { name: ITEM.name, data: Buffer.alloc(40 * 1024 * 1024) }]));

  test("gzip bomb stopped by maxTotalBytes", async () => {
    assert.ok(bomb.length < 100 * 1024, `bomb is ${bomb.length} bytes`);
    await refuses(bomb, /inflates to more than maxTotalBytes \(16777216 bytes\).*gzip bomb/, {
      maxTotalBytes: 16 * 1024 * 1024,
    });
  });

  test("gzip bomb stopped by the compression ratio with default limits", async () => {
    await refuses(bomb, /more than maxCompressionRatio \(500×\); it looks like a gzip bomb/);
  });

  test("gzip bomb of zeros past the end-of-archive marker", async () => {
    const zeros = gzipSync(Buffer.concat([craftTar([VERSION, ITEM]), Buffer.alloc(32 * 1024 * 1024)]));
    await refuses(zeros, /inflates to more than maxTotalBytes/, { maxTotalBytes: 8 * 1024 * 1024 });
  });

  test("too many entries", async () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({
      name: `resources/configmaps/namespaces/n/cm-${i}.json`,
      data: itemJson("ConfigMap", `cm-${i}`, "n"),
    }));
    await refuses(craftTarGz([VERSION, ...entries]), /more than maxEntries \(10\) entries/, {
      maxEntries: 10,
    });
  });

  test("duplicate entries", async () => {
    await refuses(
      craftTarGz([VERSION, ITEM, ITEM]),
      /"resources\/pods\/namespaces\/shop\/a\.json": it appears twice/,
    );
    await refuses(craftTarGz([VERSION, VERSION]), /"metadata\/version": it appears twice/);
    await refuses(
      craftTarGz([VERSION, ITEM, { ...ITEM, name: `./${ITEM.name}` }]),
      /it appears twice/, // the same path once normalised
    );
  });

  test("an oversized version file", async () => {
    await refuses(
      craftTarGz([{ name: "metadata/version", data: "1".repeat(5000) }]),
      /format-version file of 5000 bytes/,
    );
  });
});
