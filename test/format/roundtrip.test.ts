import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { after, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { extractArchive } from "../../lib/format/reader.ts";
import { createArchiveWriter } from "../../lib/format/writer.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const scratch = mkdtempSync(join(tmpdir(), "stowage-roundtrip-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const ITEMS = 10_000;
const NAMESPACES = 20;

/** A small, distinct ConfigMap; ~1.3 KB of JSON with some incompressible content. */
const configMap = (i: number) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: `cm-${i}`,
    namespace: `ns-${i % NAMESPACES}`,
    uid: createHash("sha256").update(String(i)).digest("hex").slice(0, 32),
    labels: { app: "shop", index: String(i) },
  },
  data: { "config.yaml": createHash("sha512").update(`data-${i}`).digest("base64").repeat(12) },
});

test(`round trip of ${ITEMS} items through a file keeps heap growth bounded (peak < 100 MB, nothing retained)`, async () => {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };

  const file = join(scratch, "backup.tar.gz");
  const writer = createArchiveWriter();
  const written = pipeline(writer.stream, createWriteStream(file));
  for (let i = 0; i < ITEMS; i++) {
    await writer.writeItem({
      resource: "configmaps",
      group: "",
      version: "v1",
      preferredVersion: "v1",
      namespace: `ns-${i % NAMESPACES}`,
      name: `cm-${i}`,
      object: configMap(i),
    });
    if (i % 250 === 0) sample();
  }
  await writer.finalize();
  await written;
  sample();
  gc();
  const retainedAfterWriteMb = (process.memoryUsage().heapUsed - baseline) / 1024 / 1024;
  assert.ok(retainedAfterWriteMb < 10, `the writer retained ${retainedAfterWriteMb.toFixed(1)} MB`);
  assert.equal(writer.progress.items, ITEMS);
  assert.equal(writer.progress.entries, 1 + 2 * ITEMS);
  assert.equal(writer.progress.compressedBytes, statSync(file).size);
  const itemBytes = writer.progress.itemBytes;

  const archive = await extractArchive(createReadStream(file), { tempDir: scratch });
  sample();
  try {
    assert.equal(archive.index.itemCount, ITEMS);
    assert.equal(archive.index.entryCount, 1 + 2 * ITEMS);
    const configmaps = archive.index.resources.get("configmaps")!;
    assert.equal(configmaps.namespaced.size, NAMESPACES);
    let read = 0;
    let bytes = 0;
    for (const ref of archive.items()) {
      const i = Number(ref.name.slice("cm-".length));
      const item = await archive.readItem(ref);
      assert.deepEqual(item, configMap(i));
      bytes += (await archive.readItemBytes(ref)).length;
      if (++read % 250 === 0) sample();
    }
    assert.equal(read, ITEMS);
    assert.equal(bytes * 2, itemBytes);
  } finally {
    await archive.cleanup();
  }

  const growthMb = (peak - baseline) / 1024 / 1024;
  const archiveMb = itemBytes / 1024 / 1024;
  // The item JSON alone is ~25 MB; holding the archive or the items would show up here.
  assert.ok(archiveMb > 20, `the test archive is too small to prove anything (${archiveMb.toFixed(1)} MB)`);
  assert.ok(growthMb < 100, `peak heap grew by ${growthMb.toFixed(1)} MB`);
});
