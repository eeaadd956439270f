import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { FormatError, ValidationError } from "../../lib/errors.ts";
import { createArchiveWriter } from "../../lib/format/writer.ts";
import { requireBinary } from "../support/binaries.ts";
import { collect, FIXTURE_BACKUPS, fixtureTarball, type RawEntry, readTarGz } from "./support.ts";

const CLOCK = new Date("2026-11-22T03:31:00Z");

/** Sorted-key compact JSON, written independently of lib/format/json.ts (no HTML chars, no int keys). */
const sortedJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(record[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
};

const pod = (name: string) => ({
  kind: "Pod",
  apiVersion: "v1",
  metadata: { namespace: "shop", name, labels: { z: "1", a: "2" }, uid: "u" },
  spec: { containers: [{ name: "c", image: "busybox", args: ["b", "a"] }] },
  status: { phase: "Pending" },
});

const writeAll = async (
  items: Parameters<ReturnType<typeof createArchiveWriter>["writeItem"]>[0][],
  options = {},
): Promise<{
  gz: Buffer;
  entries: RawEntry[];
  progress: ReturnType<typeof createArchiveWriter>["progress"];
}> => {
  const writer = createArchiveWriter({ now: () => CLOCK, ...options });
  const bytes = collect(writer.stream);
  for (const item of items) await writer.writeItem(item);
  await writer.finalize();
  const gz = await bytes;
  return { gz, entries: await readTarGz(gz), progress: writer.progress };
};

describe("archive writer", () => {
  test("Velero's layout rules, checked by an independent reader", async () => {
    const { gz, entries, progress } = await writeAll([
      {
        resource: "pods",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        namespace: "shop",
        name: "a",
        object: pod("a"),
      },
      {
        resource: "namespaces",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        name: "shop",
        object: { kind: "Namespace", apiVersion: "v1", metadata: { name: "shop" } },
      },
      {
        resource: "deployments",
        group: "apps",
        version: "v1",
        preferredVersion: "v1",
        namespace: "shop",
        name: "api",
        object: {
          spec: { replicas: 2 },
          metadata: { name: "api" },
          kind: "Deployment",
          apiVersion: "apps/v1",
        },
      },
    ]);

    // gzip header byte-identical to Go's compress/gzip: no name, no mtime, default level, OS unknown.
    assert.deepEqual([...gz.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

    const [first, ...items] = entries;
    assert.equal(first?.header.name, "metadata/version");
    assert.equal(first?.data.toString(), "1.1.0\n");
    for (const { header } of entries) {
      assert.equal(header.type, "file", header.name);
      assert.equal(header.mode, 0o755, header.name);
      assert.equal(header.uid, 0);
      assert.equal(header.gid, 0);
      assert.equal(header.uname, "");
      assert.equal(header.gname, "");
      assert.equal(header.mtime.getTime(), CLOCK.getTime());
      assert.ok(!header.name.startsWith("/") && !header.name.startsWith("./") && !header.name.endsWith("/"));
    }
    assert.deepEqual(
      items.map((e) => e.header.name),
      [
        "resources/pods/namespaces/shop/a.json",
        "resources/pods/v1-preferredversion/namespaces/shop/a.json",
        "resources/namespaces/cluster/shop.json",
        "resources/namespaces/v1-preferredversion/cluster/shop.json",
        "resources/deployments.apps/namespaces/shop/api.json",
        "resources/deployments.apps/v1-preferredversion/namespaces/shop/api.json",
      ],
    );
    for (let i = 0; i < items.length; i += 2) {
      const [classic, twin] = [items[i]!, items[i + 1]!];
      assert.ok(classic.data.equals(twin.data), "both copies carry identical bytes");
      const text = classic.data.toString("utf8");
      assert.equal(text, sortedJson(JSON.parse(text)), "compact JSON with recursively sorted keys");
      assert.ok(!text.endsWith("\n"));
    }
    assert.equal(progress.items, 3);
    assert.equal(progress.entries, 7);
    assert.equal(
      progress.itemBytes,
      items.reduce((n, e) => n + e.data.length, 0),
    );
    assert.equal(progress.compressedBytes, gz.length);
  });

  test("a non-preferred version is written once, under its version directory", async () => {
    const { entries } = await writeAll([
      {
        resource: "horizontalpodautoscalers",
        group: "autoscaling",
        version: "v1",
        preferredVersion: "v2",
        namespace: "shop",
        name: "web",
        object: { kind: "HorizontalPodAutoscaler" },
      },
    ]);
    assert.deepEqual(
      entries.map((e) => e.header.name),
      ["metadata/version", "resources/horizontalpodautoscalers.autoscaling/v1/namespaces/shop/web.json"],
    );
  });

  for (const backup of FIXTURE_BACKUPS) {
    test(`re-writing Velero's ${backup} gives the same entries, in order, with the same bytes`, async () => {
      const velero = await readTarGz(readFileSync(fixtureTarball(backup)));
      const items = [];
      for (let i = 1; i < velero.length; i += 2) {
        const [resourcesDir, groupResource, maybeScope] = velero[i]!.header.name.split("/");
        assert.equal(resourcesDir, "resources");
        assert.ok(maybeScope === "namespaces" || maybeScope === "cluster");
        const version = velero[i + 1]!.header.name.split("/")[2]!.replace("-preferredversion", "");
        const object = JSON.parse(velero[i]!.data.toString("utf8")) as {
          metadata: { name: string; namespace?: string };
        };
        const [resource, ...group] = groupResource!.split(".");
        items.push({
          resource: resource!,
          group: group.join("."),
          version,
          preferredVersion: version,
          namespace: object.metadata.namespace,
          name: object.metadata.name,
          object,
        });
      }
      const { entries } = await writeAll(items);
      assert.equal(entries.length, velero.length);
      for (const [i, ours] of entries.entries()) {
        const theirs = velero[i]!;
        assert.equal(ours.header.name, theirs.header.name);
        assert.ok(ours.data.equals(theirs.data), `${ours.header.name}: bytes differ`);
        for (const field of ["type", "mode", "uid", "gid", "uname", "gname", "size", "linkname"] as const) {
          assert.equal(ours.header[field], theirs.header[field], `${ours.header.name}: ${field}`);
        }
      }
    });
  }

  test("Go's gzip and tar readers, as Velero's restore uses them, read the same entries and bytes", async () => {
    const reader = requireBinary("GO_TAR_READER");
    const items = Array.from({ length: 3000 }, (_, i) => ({
      resource: i % 3 ? "configmaps" : "secrets",
      group: "",
      version: "v1",
      preferredVersion: "v1",
      namespace: `team-${i % 7}`,
      // a name long enough for a PAX header now and then
      name: i % 500 === 0 ? `long-${"n".repeat(230)}-${i}` : `item-${i}`,
      object: { kind: "ConfigMap", data: { key: randomBytes(i % 10 === 0 ? 6000 : 600).toString("base64") } },
    }));
    // one item larger than a compression block, so its entry spans several
    items.push({
      ...items[1]!,
      name: "big",
      object: { kind: "ConfigMap", data: { key: "x".repeat(3 << 20) } },
    });
    const { gz, entries } = await writeAll(items, { compressionLevel: 1 });
    const dir = mkdtempSync(join(tmpdir(), "stowage-go-tar-"));
    try {
      writeFileSync(join(dir, "backup.tar.gz"), gz);
      const lines = execFileSync(reader, [join(dir, "backup.tar.gz")], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      const go = lines
        .trim()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as {
              name: string;
              typeflag: string;
              mode: number;
              size: number;
              sha256: string;
            },
        );
      assert.equal(go.length, entries.length);
      assert.equal(go.length, 1 + 2 * items.length);
      for (const [i, entry] of entries.entries()) {
        assert.deepEqual(go[i], {
          name: entry.header.name,
          typeflag: "0",
          mode: 0o755,
          size: entry.data.length,
          sha256: createHash("sha256").update(entry.data).digest("hex"),
        });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("backpressure: writeItem waits while nobody reads the stream", async () => {
    const writer = createArchiveWriter({ compressionLevel: 0 });
    const big = { data: randomBytes(48 * 1024).toString("base64") }; // 64 KB, twice per item
    let written = 0;
    let stalled = false;
    for (let i = 0; i < 200; i++) {
      const pending = writer.writeItem({
        resource: "configmaps",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        namespace: "ns",
        name: `cm-${i}`,
        object: big,
      });
      const outcome = await Promise.race([pending.then(() => "done"), sleep(200).then(() => "stalled")]);
      if (outcome === "stalled") {
        stalled = true;
        const drained = collect(writer.stream);
        await pending;
        await writer.finalize();
        const entries = await readTarGz(await drained);
        assert.equal(entries.length, 1 + 2 * (written + 1));
        break;
      }
      written++;
    }
    assert.ok(stalled, "writeItem never waited for the reader");
    // the bound: up to 4 compressing 1 MiB blocks, the one being filled, and one block's output
    assert.ok(written < 48, `${written} items (~${written * 128} KB) were buffered before writeItem waited`);
  });

  test("abort() fails the stream and later writes", async () => {
    const writer = createArchiveWriter();
    const consumed = collect(writer.stream);
    await writer.writeItem({
      resource: "pods",
      group: "",
      version: "v1",
      preferredVersion: "v1",
      name: "a",
      object: {},
    });
    const reason = new Error("collector failed");
    writer.abort(reason);
    await assert.rejects(consumed, /collector failed/);
    await assert.rejects(
      writer.writeItem({
        resource: "pods",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        name: "b",
        object: {},
      }),
      /collector failed/,
    );
    await assert.rejects(writer.finalize(), /collector failed/);
  });

  test("a consumer that gives up makes writeItem reject instead of hanging", async () => {
    const writer = createArchiveWriter({ compressionLevel: 0 });
    writer.stream.destroy();
    const object = { data: randomBytes(64 * 1024).toString("hex") };
    await assert.rejects(async () => {
      for (let i = 0; i < 100; i++) {
        await writer.writeItem({
          resource: "secrets",
          group: "",
          version: "v1",
          preferredVersion: "v1",
          namespace: "n",
          name: `s${i}`,
          object,
        });
      }
    }, FormatError);
  });

  test("writes after finalize() and bad input are refused with clear errors", async () => {
    const writer = createArchiveWriter();
    const consumed = collect(writer.stream);
    await writer.finalize();
    await consumed;
    await assert.rejects(
      writer.writeItem({
        resource: "pods",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        name: "a",
        object: {},
      }),
      /already finalized/,
    );

    const open = createArchiveWriter();
    collect(open.stream).catch(() => {}); // fails on abort() below
    await assert.rejects(
      open.writeItem({
        resource: "pods",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        name: "../x",
        object: {},
      }),
      /name is invalid/,
    );
    await assert.rejects(
      open.writeItem({
        resource: "pods",
        group: "",
        version: "v1",
        preferredVersion: "v1",
        name: "x",
        object: { t: new Date() },
      }),
      /is a Date/,
    );
    open.abort();

    assert.throws(() => createArchiveWriter({ compressionLevel: 12 }), ValidationError);
  });

  test("compressionLevel changes the size, not the content", async () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      resource: "pods",
      group: "",
      version: "v1",
      preferredVersion: "v1",
      namespace: "shop",
      name: `p${i}`,
      object: pod(`p${i}`),
    }));
    const stored = await writeAll(items, { compressionLevel: 0 });
    const best = await writeAll(items, { compressionLevel: 9 });
    assert.ok(stored.gz.length > best.gz.length * 5);
    assert.deepEqual(
      stored.entries.map((e) => e.data.toString()),
      best.entries.map((e) => e.data.toString()),
    );
  });
});
