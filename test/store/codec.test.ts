import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { FormatError } from "../../lib/errors.ts";
import {
  decodeBackupMetadata,
  decodeJsonGz,
  decodeTextGz,
  encodeBackupMetadata,
  encodeJson,
  encodeJsonGz,
  goJsonStringify,
} from "../../lib/store/codec.ts";
import type { Backup } from "../../lib/store/types.ts";
import { VELERO_BACKUPS } from "../support/velero-fixtures.ts";

const BACKUPS = VELERO_BACKUPS;
const names = readdirSync(BACKUPS).sort();

/** A deep copy with every object's keys in reverse order. */
const shuffle = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(shuffle);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, shuffle(v)]),
    );
  }
  return value;
};

describe("codec", () => {
  for (const name of names) {
    it(`re-encodes ${name}/velero-backup.json byte for byte (pretty, kind first, no trailing newline)`, () => {
      const original = readFileSync(join(BACKUPS, name, "velero-backup.json"));
      const backup = decodeBackupMetadata(original);
      assert.equal(backup.kind, "Backup");
      assert.equal(backup.apiVersion, "velero.io/v1");
      assert.equal(encodeBackupMetadata(backup).toString("utf8"), original.toString("utf8"));
      assert.ok(!original.toString("utf8").endsWith("\n"));
    });

    it(`puts the Backup fields of ${name} in Velero's order whatever order they come in`, () => {
      const original = readFileSync(join(BACKUPS, name, "velero-backup.json"), "utf8");
      const reversed = shuffle(JSON.parse(original)) as Backup;
      const encoded = encodeBackupMetadata(reversed).toString("utf8");
      // top-level, metadata, spec and status orders are Velero's; deeper objects keep the caller's order
      assert.deepEqual(Object.keys(JSON.parse(encoded)), [
        "kind",
        "apiVersion",
        "metadata",
        "spec",
        "status",
      ]);
      const parsed = JSON.parse(encoded) as Record<string, Record<string, unknown>>;
      const source = JSON.parse(original) as Record<string, Record<string, unknown>>;
      for (const part of ["metadata", "spec", "status"]) {
        assert.deepEqual(Object.keys(parsed[part] ?? {}), Object.keys(source[part] ?? {}), part);
      }
    });

    it(`re-encodes every gzipped JSON sidecar of ${name} to the same JSON text`, async () => {
      for (const file of readdirSync(join(BACKUPS, name))) {
        if (!file.endsWith(".json.gz") && !file.endsWith("-results.gz")) continue;
        const raw = readFileSync(join(BACKUPS, name, file));
        const text = gunzipSync(raw).toString("utf8");
        const value = await decodeJsonGz(raw, file);
        assert.equal(encodeJson(value), text, file);
        assert.equal(gunzipSync(encodeJsonGz(value)).toString("utf8"), text, file);
      }
    });
  }

  it("writes json.Encoder output: compact, one newline, Go's HTML-safe escaping", () => {
    assert.equal(encodeJson({ errors: {}, warnings: {} }), '{"errors":{},"warnings":{}}\n');
    assert.equal(encodeJson(null), "null\n");
    assert.equal(encodeJson([]), "[]\n");
    assert.equal(
      goJsonStringify({ s: "<a & b>\u2028\u2029" }),
      '{"s":"\\u003ca \\u0026 b\\u003e\\u2028\\u2029"}',
    );
    assert.equal(goJsonStringify({ s: "x\ud800y", t: "\\ud800" }), '{"s":"x\\ufffdy","t":"\\\\ud800"}');
  });

  it("decodes null, Buffers and streams, and refuses what is not gzip or not JSON", async () => {
    assert.equal(await decodeJsonGz(gzipSync("null\n")), null);
    assert.deepEqual(await decodeJsonGz(Readable.from([gzipSync("[1,2]\n")])), [1, 2]);
    assert.equal(await decodeTextGz(gzipSync("time=x level=info\n")), "time=x level=info\n");
    await assert.rejects(decodeJsonGz(Buffer.from("plain"), "x-results.gz"), (error: unknown) => {
      assert.ok(error instanceof FormatError);
      assert.match(error.message, /x-results\.gz is not valid gzip/);
      return true;
    });
    await assert.rejects(decodeJsonGz(gzipSync("{oops")), FormatError);
  });

  it("refuses metadata that is not a velero.io/v1 Backup", () => {
    assert.throws(
      () => decodeBackupMetadata('{"kind":"Restore","apiVersion":"velero.io/v1"}'),
      /does not hold a Backup/,
    );
    assert.throws(() => decodeBackupMetadata("not json"), FormatError);
    assert.throws(
      () => encodeBackupMetadata({ kind: "Backup", apiVersion: "v1" } as unknown as Backup),
      /apiVersion "velero.io\/v1"/,
    );
  });
});
