/**
 * Helpers for the format tests: the real Velero fixtures, an independent tar reader (plain
 * tar-stream + zlib, not lib/format's reader), and raw tar bytes crafted by hand for hostile archives.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gunzipSync, gzipSync } from "node:zlib";
import tar from "tar-stream";
import { FormatError } from "../../lib/errors.ts";
import { type ArchiveReaderOptions, extractArchive } from "../../lib/format/index.ts";
import { VELERO_BACKUPS } from "../support/velero-fixtures.ts";

/** Backups written by a real Velero 1.18.3 (test/fixtures/velero-1.18.3/backups). */
export const FIXTURES = VELERO_BACKUPS;
export const FIXTURE_BACKUPS = ["shop-ns-20261122031500", "shop-nightly-20261122030000"] as const;

/** Path of a fixture backup's tarball. */
export const fixtureTarball = (backup: string): string => join(FIXTURES, backup, `${backup}.tar.gz`);

/** A fixture backup's `-resource-list.json.gz`: `{"<group/version/Kind>": ["ns/name" | "name"]}`. */
export const fixtureResourceList = (backup: string): Record<string, string[]> =>
  JSON.parse(
    gunzipSync(readFileSync(join(FIXTURES, backup, `${backup}-resource-list.json.gz`))).toString("utf8"),
  ) as Record<string, string[]>;

/** One tar entry as the independent reader sees it. */
export interface RawEntry {
  header: tar.Header;
  data: Buffer;
}

/** Reads every entry of a gzip'd tar in memory with plain tar-stream (test-sized archives only). */
export const readTarGz = async (gz: Buffer): Promise<RawEntry[]> => {
  const entries: RawEntry[] = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (c: unknown) => chunks.push(c as Buffer));
      stream.on("end", () => {
        entries.push({ header, data: Buffer.concat(chunks) });
        next();
      });
      stream.on("error", reject);
    });
    extract.on("finish", () => resolve());
    extract.on("error", reject);
  });
  extract.end(gunzipSync(gz));
  await done;
  return entries;
};

/** Collects a readable stream into one buffer. */
export const collect = async (stream: AsyncIterable<Uint8Array>): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
};

/** A hand-made tar entry; `size` is what the header declares, `data` what follows (may be shorter). */
export interface CraftedEntry {
  name: string;
  /** Tar typeflag character: "0" file, "1" hardlink, "2" symlink, "3" char device, "5" dir, "6" fifo. */
  typeflag?: string;
  size?: number;
  data?: Buffer | string;
  linkname?: string;
  mode?: number;
}

const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, "0")}\0`;

/** A 512-byte USTAR header written byte by byte, the way Go's archive/tar writes Velero's. */
export const ustarHeader = (entry: CraftedEntry): Buffer => {
  const block = Buffer.alloc(512);
  const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
  const size = entry.size ?? data.length;
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`test helper: name too long: ${entry.name}`);
  block.write(entry.name, 0, "utf8");
  block.write(octal(entry.mode ?? 0o755, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(1_795_000_000, 12), 136, "ascii");
  block.write("        ", 148, "ascii"); // checksum placeholder: eight spaces
  block.write(entry.typeflag ?? "0", 156, "ascii");
  if (entry.linkname !== undefined) block.write(entry.linkname, 157, "utf8");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  block.write(octal(0, 8), 329, "ascii");
  block.write(octal(0, 8), 337, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
};

/** An uncompressed tar of crafted entries (each body padded to 512), with or without the end marker. */
export const craftTar = (entries: CraftedEntry[], { end = true } = {}): Buffer => {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    parts.push(ustarHeader(entry), data);
    const pad = (512 - (data.length % 512)) % 512;
    parts.push(Buffer.alloc(pad));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
};

/** One PAX extended-header record, `"<length> <key>=<value>\n"`, its length counting itself. */
export const paxRecord = (key: string, value: string): string => {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
};

/** A gzip'd tar of crafted entries. */
export const craftTarGz = (entries: CraftedEntry[], options?: { end?: boolean }): Buffer =>
  gzipSync(craftTar(entries, options));

/** A minimal item body. */
export const itemJson = (kind: string, name: string, namespace?: string): string =>
  JSON.stringify({ apiVersion: "v1", kind, metadata: namespace ? { name, namespace } : { name } });

/** Asserts that `extractArchive` refuses `gz`, extracting under `tempDir`, with a FormatError matching `message`. */
export const assertReaderRefuses = async (
  gz: Buffer,
  message: RegExp,
  tempDir: string,
  options: ArchiveReaderOptions = {},
): Promise<void> => {
  await assert.rejects(extractArchive(Readable.from([gz]), { tempDir, ...options }), (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
};
