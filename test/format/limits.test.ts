// The archive reader's resource limits: PAX and GNU long-name headers are judged before the tar
// parser buffers them, the whole archive's inflated bytes and compression ratio are bounded, and
// legitimate archives (long names, PAX size records, small archives that compress wildly) still pass.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { type ArchiveReaderOptions, extractArchive } from "../../lib/format/index.ts";
import { DEFAULT_MAX_TOTAL_BYTES, resolveReaderOptions } from "../../lib/format/limits.ts";
import {
  assertReaderRefuses,
  type CraftedEntry,
  craftTar,
  craftTarGz,
  itemJson,
  paxRecord,
} from "./support.ts";

const MiB = 1024 * 1024;
const base = mkdtempSync(join(tmpdir(), "stowage-limits-test-"));
const parent = join(base, "parent");
mkdirSync(parent);
after(() => rmSync(base, { recursive: true, force: true }));

const VERSION: CraftedEntry = { name: "metadata/version", data: "1.1.0\n" };

const refuses = async (gz: Buffer, message: RegExp, options: ArchiveReaderOptions = {}): Promise<void> => {
  await assertReaderRefuses(gz, message, parent, options);
  assert.deepEqual(readdirSync(parent), [], "the extraction directory was removed");
};

/** `count` ConfigMap items of `bytes` each (random, so they do not compress). */
const items = (count: number, bytes: number, fill?: number): CraftedEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `resources/configmaps/namespaces/n/cm-${i}.json`,
    data: fill === undefined ? randomBytes(bytes) : Buffer.alloc(bytes, fill),
  }));

let seed = 1;
const randomBytes = (n: number): Buffer => {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = seed >>> 24;
  }
  return out;
};

describe("archive reader resource limits", () => {
  test("a PAX or GNU long-name header declaring 512 MiB is refused from its header, in bounded memory", async () => {
    for (const [typeflag, kind] of [
      ["x", "PAX extended header"],
      ["g", "PAX global header"],
      ["L", "GNU long-name header"],
      ["K", "GNU long-link header"],
    ] as const) {
      // The header declares 512 MiB; 16 MiB of zeros actually follow (a 16 KB gzip).
      const gz = gzipSync(
        craftTar(
          [VERSION, { name: "PaxHeaders/huge", typeflag, size: 512 * MiB, data: Buffer.alloc(16 * MiB) }],
          {
            end: false,
          },
        ),
      );
      const before = process.memoryUsage().arrayBuffers;
      await refuses(
        gz,
        new RegExp(
          `refusing archive entry "PaxHeaders/huge": its ${kind} declares 536870912 bytes, more than maxHeaderBytes \\(1048576\\).*raise maxHeaderBytes`,
        ),
      );
      const grown = process.memoryUsage().arrayBuffers - before;
      assert.ok(grown < 64 * MiB, `array buffers grew by ${grown} bytes`);
    }
  });

  test("a small maxHeaderBytes is honoured; a header within it passes", async () => {
    const long = `resources/configmaps/namespaces/n/${"c".repeat(120)}.json`;
    const pax = { name: "PaxHeaders/long", typeflag: "x", data: paxRecord("path", long) };
    const item = { name: "short.json", data: itemJson("ConfigMap", "c".repeat(120), "n") };
    await refuses(craftTarGz([VERSION, pax, item]), /declares \d+ bytes, more than maxHeaderBytes \(64\)/, {
      maxHeaderBytes: 64,
    });
    const archive = await extractArchive(Readable.from([craftTarGz([VERSION, pax, item])]), {
      tempDir: parent,
      maxHeaderBytes: 512,
    });
    try {
      assert.equal(archive.index.itemCount, 1);
    } finally {
      await archive.cleanup();
    }
  });

  test("the header guard follows PAX size records, global headers, long names and empty directories", async () => {
    const body = itemJson("ConfigMap", "a".repeat(150), "n");
    const entries: CraftedEntry[] = [
      VERSION,
      { name: "PaxHeaders/global", typeflag: "g", data: paxRecord("comment", "made by hand") },
      { name: "resources/", typeflag: "5" },
      {
        name: "PaxHeaders/a",
        typeflag: "x",
        data:
          paxRecord("path", `resources/configmaps/namespaces/n/${"a".repeat(150)}.json`) +
          paxRecord("size", String(Buffer.byteLength(body))),
      },
      { name: "placeholder", size: 0, data: body }, // the PAX size, not this header's 0, is the body's
      {
        name: "././@LongLink",
        typeflag: "L",
        data: `resources/configmaps/namespaces/n/${"b".repeat(150)}.json\0`,
      },
      { name: "placeholder-b", data: itemJson("ConfigMap", "b".repeat(150), "n") },
    ];
    const archive = await extractArchive(Readable.from([craftTarGz(entries)]), { tempDir: parent });
    try {
      assert.equal(archive.index.itemCount, 2);
      assert.deepEqual(
        await archive.readItem({ groupResource: "configmaps", namespace: "n", name: "a".repeat(150) }),
        JSON.parse(body),
      );
    } finally {
      await archive.cleanup();
    }
    // Still in step after all of them: a huge long-name header at the end is judged by the guard.
    const huge = { name: "././@LongLink", typeflag: "L", size: 512 * MiB };
    await refuses(
      craftTarGz([...entries, huge], { end: false }),
      /"\.\/\.\/@LongLink": its GNU long-name header declares 536870912 bytes/,
    );
  });

  test("a directory whose header declares data is refused rather than waited on forever", async () => {
    await refuses(
      craftTarGz([VERSION, { name: "resources/", typeflag: "5", size: 1024 }]),
      /refusing archive entry "resources": it is a directory whose header declares 1024 bytes of data/,
    );
  });

  test("many small entries are stopped by the total inflated bytes, not one entry's size", async () => {
    // 300 items of 4 KiB: no entry is large, the archive is ~1.4 MiB inflated, and random bytes keep the ratio ~1.
    const gz = craftTarGz([VERSION, ...items(300, 4096)]);
    await refuses(
      gz,
      /inflates to more than maxTotalBytes \(1048576 bytes\).*raise maxTotalBytes .*if it is a real backup/,
      {
        maxTotalBytes: MiB,
        maxEntryBytes: 8192,
      },
    );
    const archive = await extractArchive(Readable.from([gz]), { tempDir: parent, maxTotalBytes: 2 * MiB });
    try {
      assert.equal(archive.index.itemCount, 300);
    } finally {
      await archive.cleanup();
    }
  });

  test("the default total bound leaves a 100,000-object backup ample room and stops a bomb at 4 GiB", () => {
    // Each object is written twice (classic and preferred-version paths), each copy a 512-byte
    // header plus its body padded to 512: at the bench's 0.5–4 KB objects (plus metadata, ~5 KB at
    // most) a 100,000-object backup inflates to at most ~1.2 GB.
    const perCopy = 512 + Math.ceil((5 * 1024) / 512) * 512;
    const hundredK = 100_000 * 2 * perCopy;
    assert.equal(resolveReaderOptions({}).maxTotalBytes, DEFAULT_MAX_TOTAL_BYTES);
    assert.equal(DEFAULT_MAX_TOTAL_BYTES, 4 * 1024 * MiB);
    assert.ok(DEFAULT_MAX_TOTAL_BYTES > 3 * hundredK, `${DEFAULT_MAX_TOTAL_BYTES} vs ${hundredK}`);
    assert.equal(resolveReaderOptions({}).maxHeaderBytes, MiB);
    assert.throws(
      () => resolveReaderOptions({ maxHeaderBytes: 0 }),
      /maxHeaderBytes must be a positive integer/,
    );
  });

  test("the compression ratio is judged over the whole stream, past a floor that small archives stay under", async () => {
    // Twelve 1 MiB items of zeros: each entry alone is small, the stream inflates ~1000× past 8 MiB.
    await refuses(
      craftTarGz([VERSION, ...items(12, MiB, 0)]),
      /inflates \d+× .*more than maxCompressionRatio \(500×\); it looks like a gzip bomb/,
    );
    // Four such items (4 MiB, as wild a ratio) stay under the floor and extract.
    const archive = await extractArchive(Readable.from([craftTarGz([VERSION, ...items(4, MiB, 0)])]), {
      tempDir: parent,
    });
    try {
      assert.equal(archive.index.itemCount, 4);
    } finally {
      await archive.cleanup();
    }
  });
});
