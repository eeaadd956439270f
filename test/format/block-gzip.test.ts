import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { createBlockGzip } from "../../lib/format/block-gzip.ts";
import { collect } from "./support.ts";

/** Compresses `input` in `blockBytes` blocks and returns the gzip bytes. */
const compress = async (input: Buffer, blockBytes: number, level = 1, inFlight = 3): Promise<Buffer> => {
  const gz = createBlockGzip({ level, blockBytes, inFlight });
  const out = collect(gz.stream);
  let at = 0;
  for (; at + blockBytes < input.length; at += blockBytes) {
    const block = gz.takeBlock();
    input.copy(block, 0, at, at + blockBytes);
    await gz.push(block);
  }
  await gz.end(Buffer.from(input.subarray(at)));
  return out;
};

/** The system's gzip (Debian's), an independent decoder: `-t` checks the CRC-32 and the size too. */
const systemGunzip = (gz: Buffer): Buffer => {
  const dir = mkdtempSync(join(tmpdir(), "stowage-gz-"));
  try {
    const file = join(dir, "x.gz");
    writeFileSync(file, gz);
    execFileSync("gzip", ["-t", file]);
    return execFileSync("gzip", ["-dc", file], { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

describe("block-parallel gzip", () => {
  test("one ordinary gzip member, whatever the size: Node's and the system's gunzip read it back", async () => {
    const mixed = Buffer.concat([
      randomBytes(300 * 1024),
      Buffer.from("kind: ConfigMap\n".repeat(40_000)),
      randomBytes(70_000),
    ]);
    for (const [label, input, blockBytes] of [
      ["empty", Buffer.alloc(0), 64 * 1024],
      ["smaller than the window", Buffer.from("metadata/version 1.1.0\n"), 64 * 1024],
      ["exactly one block", randomBytes(64 * 1024), 64 * 1024],
      ["many blocks, random and repetitive", mixed, 64 * 1024],
      ["blocks smaller than the window", mixed.subarray(0, 200_000), 20_000],
    ] as const) {
      const gz = await compress(input, blockBytes);
      assert.ok(gunzipSync(gz).equals(input), `${label}: Node's gunzip`);
      assert.ok(systemGunzip(gz).equals(input), `${label}: gzip -d`);
      // a single member: the trailer's size is the whole input (a multi-member file would end with the last member's)
      assert.equal(gz.readUInt32LE(gz.length - 4), input.length, `${label}: ISIZE`);
    }
  });

  test("the header is Go's compress/gzip header: no mtime, XFL by level, OS 255", async () => {
    for (const [level, xfl] of [
      [1, 4],
      [-1, 0],
      [6, 0],
      [9, 2],
      [0, 0],
    ] as const) {
      const gz = await compress(Buffer.from("x"), 1024, level);
      assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 0xff], `level ${level}`);
    }
  });

  test("each block sees the previous block's window: as small as a serial gzip", async () => {
    // a 16 KiB pattern repeated: a block compressed alone would pay for the pattern again
    const pattern = randomBytes(16 * 1024);
    const repeated = Buffer.concat(Array.from({ length: 64 }, () => pattern));
    const serial = gzipSync(repeated, { level: 1 }).length;
    const blocks = (await compress(repeated, 64 * 1024)).length;
    assert.ok(blocks < serial * 1.1, `block-parallel ${blocks} B vs serial ${serial} B`);
    assert.ok(blocks < 16 * 1024 * 3, `${blocks} B: blocks did not reuse the pattern across boundaries`);
  });

  test("backpressure: push waits while nobody reads, and resumes when the stream is read", async () => {
    const gz = createBlockGzip({ level: 0, blockBytes: 256 * 1024, inFlight: 2 });
    let pushed = 0;
    let waited = false;
    for (let i = 0; i < 40; i++) {
      const block = gz.takeBlock();
      randomBytes(block.length).copy(block);
      const room = gz.push(block);
      const outcome = await Promise.race([room.then(() => "room"), sleep(300).then(() => "waiting")]);
      pushed++;
      if (outcome === "waiting") {
        waited = true;
        const out = collect(gz.stream);
        await room;
        await gz.end(Buffer.alloc(0));
        assert.equal(gunzipSync(await out).length, pushed * 256 * 1024);
        break;
      }
    }
    assert.ok(waited, "push never waited for the reader");
    assert.ok(
      pushed <= 4,
      `${pushed} blocks were taken before push waited (in flight 2, plus one read ahead)`,
    );
  });

  test("a consumer that gives up, or destroy(), fails pending and later calls", async () => {
    const gz = createBlockGzip({ level: 1, blockBytes: 64 * 1024, inFlight: 2 });
    gz.stream.destroy();
    await assert.rejects(async () => {
      for (let i = 0; i < 10; i++) await gz.push(randomBytes(64 * 1024));
    }, /closed before the archive was finalized/);

    const failing = createBlockGzip({ level: 1, blockBytes: 64 * 1024, inFlight: 2 });
    const out = collect(failing.stream);
    await failing.push(randomBytes(64 * 1024));
    failing.destroy(new Error("upload failed"));
    await assert.rejects(out, /upload failed/);
    await assert.rejects(failing.push(randomBytes(10)), /upload failed/);
    await assert.rejects(failing.end(Buffer.alloc(0)), /upload failed/);
  });
});
