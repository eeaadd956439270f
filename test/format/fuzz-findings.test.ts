/**
 * Archives the fuzz run (test/format/fuzz.test.ts, `npm run fuzz`) found the reader mishandling, each
 * reduced to the few bytes that matter. Each names the seed and case index that found it.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { FormatError } from "../../lib/errors.ts";
import { extractArchive } from "../../lib/format/index.ts";
import { type CraftedEntry, craftTar, itemJson, ustarHeader } from "./support.ts";

const base = mkdtempSync(join(tmpdir(), "stowage-fuzz-findings-"));
const parent = join(base, "parent");
mkdirSync(parent);
after(() => rmSync(base, { recursive: true, force: true }));

const VERSION: CraftedEntry = { name: "metadata/version", data: "1.1.0\n" };
const ITEM: CraftedEntry = {
  name: "resources/pods/namespaces/shop/a.json",
  data: itemJson("Pod", "a", "shop"),
};

/** A header whose size field starts with a high-bit byte that is neither GNU base-256 marker. */
const junkSizeHeader = (entry: CraftedEntry): Buffer => {
  const header = ustarHeader(entry);
  header.fill(0x41, 124, 136);
  header[124] = 0xc3;
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return header;
};

/**
 * The reader settles — resolves or rejects — well within a minute (a hang fails here, not in the
 * harness's file timeout); returns what it rejected with.
 */
const settle = async (gz: Buffer): Promise<unknown> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve("hang");
    }, 60_000);
  });
  try {
    const outcome = await Promise.race([
      extractArchive(Readable.from([gz]), { tempDir: parent, signal: controller.signal }).then(
        async (archive) => {
          await archive.cleanup();
          return "accepted" as const;
        },
        (error: unknown) => error,
      ),
      hang,
    ]);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
};

describe("archive reader: fuzz findings", () => {
  test("a size field that is neither octal nor base-256 is refused, not waited on forever (seed 1, case 477)", async () => {
    const entry: CraftedEntry = { name: "resources/configmaps/namespaces/shop/junk.json", data: "{}" };
    const gz = gzipSync(
      Buffer.concat([
        craftTar([VERSION, ITEM], { end: false }),
        junkSizeHeader(entry),
        Buffer.alloc(512),
        Buffer.alloc(1024),
      ]),
    );
    const outcome = await settle(gz);
    assert.notEqual(outcome, "hang", "the reader hung on the header");
    assert.ok(outcome instanceof FormatError, `expected a FormatError, got ${String(outcome)}`);
    assert.match(outcome.message, /junk\.json/);
    assert.match(outcome.message, /size/);
    assert.deepEqual(readdirSync(parent), [], "the extraction directory was removed");
  });
});
