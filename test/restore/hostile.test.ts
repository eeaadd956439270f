import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { createGzip } from "node:zlib";
import { FormatError, fsStore, type RestoreOptions, restore, ValidationError } from "../../lib/index.ts";
import { type CraftedEntry, collect, craftTar, craftTarGz, ustarHeader } from "../format/support.ts";
import { connectTest, uniqueSuffix } from "../support/kube.ts";
import { goJson, veleroBackupJson, writeVeleroBackup } from "../support/velero-backups.ts";

// The cluster (and, run alone, the whole test env) comes up before TMPDIR is redirected.
const cluster = await connectTest();

// sandbox/ holds exactly store/ (the backups) and tmp/ (os.tmpdir() for this process, where the
// reader makes its extraction directory); after each refused restore both must be as they were.
const sandbox = mkdtempSync(join(tmpdir(), "stowage-restore-hostile-"));
const storeRoot = join(sandbox, "store");
const readerTmp = join(sandbox, "tmp");
mkdirSync(storeRoot);
mkdirSync(readerTmp);
const tmpdirBefore = process.env.TMPDIR;
process.env.TMPDIR = readerTmp;
const cwdBefore = readdirSync(process.cwd()).sort();
after(() => {
  if (tmpdirBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpdirBefore;
  rmSync(sandbox, { recursive: true, force: true });
});

const store = fsStore(storeRoot, { fsync: false });

const listTree = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

/**
 * A ConfigMap (and its Namespace) in a namespace that exists nowhere yet, so any object the restore
 * created from the archive would show.
 */
const freshItems = (ns: string, cm: string): CraftedEntry[] => [
  {
    name: `resources/namespaces/cluster/${ns}.json`,
    data: goJson({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }),
  },
  {
    name: `resources/configmaps/namespaces/${ns}/${cm}.json`,
    data: goJson({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: cm, namespace: ns },
      data: { a: "1" },
    }),
  },
];
const VERSION: CraftedEntry = { name: "metadata/version", data: "1.1.0\n" };

/** Stores the tarball as backup `name` (with a Completed `velero-backup.json`) and expects restore() to refuse it. */
const refusedWithoutTrace = async (
  tarball: Buffer,
  ns: string,
  message: RegExp,
  namespaceMapping?: Record<string, string>,
  archiveLimits?: RestoreOptions["archiveLimits"],
): Promise<void> => {
  const name = `hostile-${uniqueSuffix()}`;
  writeVeleroBackup(
    storeRoot,
    name,
    tarball,
    veleroBackupJson(name, { formatVersion: "1.1.0", totalItems: 4 }),
  );
  const storeBefore = listTree(storeRoot);

  await assert.rejects(
    restore({
      cluster,
      store,
      backupName: name,
      ...(namespaceMapping ? { namespaceMapping } : {}),
      ...(archiveLimits ? { archiveLimits } : {}),
    }),
    (error: unknown) => {
      assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
      assert.equal(error.code, "ERR_FORMAT");
      assert.match(error.message, message);
      return true;
    },
  );

  // nothing created in the cluster: neither the namespace nor (mapped or not) the ConfigMap's
  for (const target of new Set([ns, ...Object.values(namespaceMapping ?? {})])) {
    assert.equal(
      await cluster.tryGet("namespaces", target),
      undefined,
      `namespace ${target} was not created`,
    );
    assert.equal(
      (await cluster.list("configmaps", { namespace: target })).length,
      0,
      `no ConfigMap in ${target}`,
    );
  }
  // nothing written anywhere: the extraction directory is gone, nothing beside it, no restore record
  assert.deepEqual(readdirSync(readerTmp), [], "the reader's temp dir is empty again");
  assert.deepEqual(readdirSync(sandbox).sort(), ["store", "tmp"], "nothing appeared beside the temp dir");
  assert.deepEqual(listTree(storeRoot), storeBefore, "nothing written to the store (no restores/)");
  assert.deepEqual(readdirSync(process.cwd()).sort(), cwdBefore, "nothing appeared in the working directory");
  assert.equal(existsSync("/tmp/evil.json"), false);
  assert.equal(existsSync("/x"), false);
};

/** A gzip'd tar whose one item inflates `mib` MiB of zeros (streamed through zlib, never held whole). */
const gzipBomb = async (before: CraftedEntry[], name: string, mib: number): Promise<Buffer> => {
  const zeros = Buffer.alloc(1024 * 1024);
  async function* tarStream() {
    yield craftTar(before, { end: false });
    yield ustarHeader({ name, size: mib * zeros.length });
    for (let i = 0; i < mib; i++) yield zeros;
    yield Buffer.alloc(1024); // end-of-archive marker (the body is a multiple of 512)
  }
  return collect(Readable.from(tarStream()).pipe(createGzip()));
};

describe("restore() refuses hostile archives and leaves no trace", () => {
  test("control: the same archive without a hostile entry is extracted under TMPDIR and restored", async () => {
    // proves the checks below can see something: the reader does use the redirected TMPDIR, and
    // these items do become objects when nothing hostile follows them
    const ns = `hostile-ok-${uniqueSuffix()}`;
    const name = `control-${uniqueSuffix()}`;
    const tarball = craftTarGz([VERSION, ...freshItems(ns, "before")]);
    writeVeleroBackup(
      storeRoot,
      name,
      tarball,
      veleroBackupJson(name, { formatVersion: "1.1.0", totalItems: 2 }),
    );
    const seen = new Set<string>();
    try {
      const result = await restore({
        cluster,
        store,
        backupName: name,
        onProgress: () => {
          for (const entry of readdirSync(readerTmp)) seen.add(entry);
        },
      });
      assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
      assert.ok(
        await cluster.tryGet("configmaps", "before", { namespace: ns }),
        "the ConfigMap was restored",
      );
    } finally {
      await cluster.delete("namespaces", ns).catch(() => undefined);
    }
    assert.ok(
      [...seen].some((e) => e.startsWith("stowage-archive-")),
      `the extraction directory was made in TMPDIR (saw ${JSON.stringify([...seen])})`,
    );
    assert.deepEqual(readdirSync(readerTmp), [], "and removed afterwards");
  });

  test("path traversal inside resources/: resources/../../evil.json", async () => {
    const ns = `hostile-a-${uniqueSuffix()}`;
    const tarball = craftTarGz([
      VERSION,
      ...freshItems(ns, "before"),
      { name: "resources/../../evil.json", data: goJson({ apiVersion: "v1", kind: "ConfigMap" }) },
      ...freshItems(`${ns}-after`, "after"),
    ]);
    await refusedWithoutTrace(
      tarball,
      ns,
      /refusing archive entry "resources\/\.\.\/\.\.\/evil\.json": .*"\.\."/,
    );
  });

  test("path traversal at the top: ../x, with a namespace mapping", async () => {
    const ns = `hostile-b-${uniqueSuffix()}`;
    const tarball = craftTarGz([VERSION, ...freshItems(ns, "before"), { name: "../x", data: "x" }]);
    await refusedWithoutTrace(tarball, ns, /refusing archive entry "\.\.\/x": .*"\.\."/, {
      [ns]: `${ns}-mapped`,
    });
  });

  test("a symlink entry", async () => {
    const ns = `hostile-c-${uniqueSuffix()}`;
    const link = `resources/configmaps/namespaces/${ns}/passwd.json`;
    const tarball = craftTarGz([
      VERSION,
      ...freshItems(ns, "before"),
      { name: link, typeflag: "2", linkname: "/etc/passwd" },
      ...freshItems(`${ns}-after`, "after"),
    ]);
    await refusedWithoutTrace(
      tarball,
      ns,
      new RegExp(
        `refusing archive entry "${link.replaceAll(".", "\\.")}": it is a symlink pointing to "/etc/passwd"`,
      ),
    );
  });

  test("an entry whose header declares 2 GB (no body follows: it must be judged from the header)", async () => {
    const ns = `hostile-d-${uniqueSuffix()}`;
    const big = `resources/configmaps/namespaces/${ns}/big.json`;
    const tarball = craftTarGz([VERSION, ...freshItems(ns, "before"), { name: big, size: 2 * 1024 ** 3 }], {
      end: false,
    });
    assert.ok(tarball.length < 64 * 1024, `the archive is ${tarball.length} bytes`);
    await refusedWithoutTrace(
      tarball,
      ns,
      new RegExp(
        `refusing archive entry "${big.replaceAll(".", "\\.")}": its header declares 2147483648 bytes, more than maxEntryBytes`,
      ),
    );
  });

  test("a gzip bomb: 60 MiB of zeros in one item, stopped by the default compression-ratio limit", async () => {
    const ns = `hostile-e-${uniqueSuffix()}`;
    const tarball = await gzipBomb(
      [VERSION, ...freshItems(ns, "before")],
      `resources/configmaps/namespaces/${ns}/bomb.json`,
      60,
    );
    // ~1000× (deflate's limit), well past the default 500× once 8 MiB are inflated
    assert.ok(tarball.length < 200 * 1024, `the bomb is ${tarball.length} bytes`);
    await refusedWithoutTrace(
      tarball,
      ns,
      /more than maxCompressionRatio \(500×\); it looks like a gzip bomb/,
    );
  });

  test("archiveLimits reach the reader: the bomb under a raised ratio is stopped by a lowered maxTotalBytes", async () => {
    const ns = `hostile-f-${uniqueSuffix()}`;
    const tarball = await gzipBomb(
      [VERSION, ...freshItems(ns, "before")],
      `resources/configmaps/namespaces/${ns}/bomb.json`,
      60,
    );
    await refusedWithoutTrace(
      tarball,
      ns,
      /more than maxTotalBytes \(16777216 bytes\).*restore\(\{ archiveLimits \}\)/,
      undefined,
      { maxCompressionRatio: 5000, maxTotalBytes: 16 * 1024 * 1024 },
    );
  });

  test("archiveLimits are checked with the other options, before the backup is read", async () => {
    await assert.rejects(
      restore({ cluster, store, backupName: "does-not-exist", archiveLimits: { maxTotalBytes: 0 } }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError, String(error));
        assert.match(error.message, /archiveLimits\.maxTotalBytes must be a positive integer, received 0/);
        return true;
      },
    );
  });
});
