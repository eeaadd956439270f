import assert from "node:assert/strict";
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { FormatError } from "../../lib/errors.ts";
import { encodeItemJson } from "../../lib/format/json.ts";
import { extractArchive } from "../../lib/format/reader.ts";
import {
  craftTarGz,
  FIXTURE_BACKUPS,
  fixtureResourceList,
  fixtureTarball,
  itemJson,
  readTarGz,
} from "./support.ts";

const parent = mkdtempSync(join(tmpdir(), "stowage-reader-test-"));
after(() => {
  assert.deepEqual(readdirSync(parent), [], "every extracted archive was cleaned up");
  rmSync(parent, { recursive: true, force: true });
});

const EXPECTED_ITEMS: Record<string, number> = {
  "shop-ns-20261122031500": 28,
  "shop-nightly-20261122030000": 296,
};

describe("archive reader", () => {
  for (const backup of FIXTURE_BACKUPS) {
    test(`reads Velero's ${backup}: counts match its -resource-list.json.gz, bytes match the tarball`, async () => {
      const resourceList = fixtureResourceList(backup);
      const listed = Object.values(resourceList).flat();
      assert.equal(listed.length, EXPECTED_ITEMS[backup]);

      const archive = await extractArchive(createReadStream(fixtureTarball(backup)), { tempDir: parent });
      try {
        assert.ok(archive.dir.startsWith(join(parent, "stowage-archive-")));
        assert.equal(statSync(archive.dir).mode & 0o777, 0o700);
        const { index } = archive;
        assert.equal(index.formatVersion, "1.1.0");
        assert.deepEqual(index.warnings, []);
        assert.equal(index.itemCount, EXPECTED_ITEMS[backup]);
        assert.equal(index.entryCount, 1 + 2 * index.itemCount);

        const refs = [...archive.items()];
        assert.equal(refs.length, index.itemCount);
        const ours = refs.map((r) => (r.namespace === "" ? r.name : `${r.namespace}/${r.name}`)).sort();
        assert.deepEqual(ours, [...listed].sort());

        for (const resource of index.resources.values()) {
          assert.equal(resource.preferredVersion, "v1");
          assert.deepEqual(resource.versions, ["v1"]);
        }
        const pods = index.resources.get("pods");
        assert.deepEqual([...(pods?.namespaced ?? [])], [["shop", ["shop-db-0", "shop-migrate-ld9z9"]]]);
        assert.deepEqual(index.resources.get("namespaces")?.cluster.includes("shop"), true);
        assert.equal(index.resources.get("statefulsets.apps")?.group, "apps");

        const tarball = new Map(
          (await readTarGz(readFileSync(fixtureTarball(backup)))).map((e) => [e.header.name, e.data]),
        );
        for (const ref of refs) {
          const resource = index.resources.get(ref.groupResource)!;
          const scope = ref.namespace === "" ? "cluster" : `namespaces/${ref.namespace}`;
          const expected = tarball.get(`resources/${ref.groupResource}/${scope}/${ref.name}.json`);
          const bytes = await archive.readItemBytes(ref);
          assert.ok(expected?.equals(bytes), `${ref.groupResource} ${ref.name}`);
          const versioned = await archive.readItemBytes({ ...ref, version: resource.preferredVersion });
          assert.ok(versioned.equals(bytes));
          assert.ok(encodeItemJson(await archive.readItem(ref)).equals(bytes));
        }
        const namespace = (await archive.readItem({ groupResource: "namespaces", name: "shop" })) as {
          kind: string;
        };
        assert.equal(namespace.kind, "Namespace");
      } finally {
        await archive.cleanup();
      }
      assert.equal(existsSync(archive.dir), false);
    });
  }

  test("format version 1 (Velero 0.11–1.3): classic paths only", async () => {
    const gz = craftTarGz([
      { name: "metadata/version", data: "1\n" },
      { name: "resources/pods/namespaces/shop/a.json", data: itemJson("Pod", "a", "shop") },
      { name: "resources/persistentvolumes/cluster/pv-1.json", data: itemJson("PersistentVolume", "pv-1") },
    ]);
    const archive = await extractArchive(Readable.from([gz]), { tempDir: parent });
    try {
      assert.equal(archive.index.formatVersion, "1");
      assert.deepEqual(archive.index.warnings, []);
      assert.equal(archive.index.itemCount, 2);
      const pods = archive.index.resources.get("pods")!;
      assert.equal(pods.preferredVersion, undefined);
      assert.deepEqual(pods.versions, []);
      assert.deepEqual(archive.index.resources.get("persistentvolumes")?.cluster, ["pv-1"]);
      assert.deepEqual(await archive.readItem({ groupResource: "pods", namespace: "shop", name: "a" }), {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "a", namespace: "shop" },
      });
    } finally {
      await archive.cleanup();
    }
  });

  test("no version file (before Velero 0.11), ./ prefixes and directory entries (other tar tools)", async () => {
    const gz = craftTarGz([
      { name: "./", typeflag: "5" },
      { name: "./resources/", typeflag: "5" },
      { name: "./resources/configmaps/namespaces/a/", typeflag: "5" },
      { name: "./resources/configmaps/namespaces/a/cm.json", data: itemJson("ConfigMap", "cm", "a") },
    ]);
    const archive = await extractArchive(Readable.from([gz]), { tempDir: parent });
    try {
      assert.equal(archive.index.formatVersion, undefined);
      assert.equal(archive.index.itemCount, 1);
      assert.equal(archive.index.entryCount, 4);
      assert.ok(archive.hasItem({ groupResource: "configmaps", namespace: "a", name: "cm" }));
      assert.ok(!archive.hasItem({ groupResource: "configmaps", namespace: "b", name: "cm" }));
    } finally {
      await archive.cleanup();
    }
  });

  test("stray entries are ignored with a warning, as Velero does", async () => {
    const gz = craftTarGz([
      { name: "metadata/version", data: "1.1.0\n" },
      { name: "README.txt", data: "hello" },
      { name: "resources/pods.json", data: "{}" },
      { name: "resources/pods/namespaces/x.json", data: "{}" },
      { name: "resources/pods/cluster/notes.txt", data: "x" },
      { name: "metadata/extra", data: "x" },
      { name: "resources/pods/namespaces/shop/a.json", data: itemJson("Pod", "a", "shop") },
    ]);
    const archive = await extractArchive(Readable.from([gz]), { tempDir: parent });
    try {
      assert.equal(archive.index.itemCount, 1);
      assert.equal(archive.index.warnings.length, 5);
      assert.match(
        archive.index.warnings[0]!,
        /ignoring unexpected archive entry "README.txt": outside "resources\/"/,
      );
      assert.ok(archive.index.warnings.some((w) => w.includes('"metadata/extra"')));
    } finally {
      await archive.cleanup();
    }
  });

  test("an unknown format version and an empty archive warn", async () => {
    const archive = await extractArchive(
      Readable.from([craftTarGz([{ name: "metadata/version", data: "2.0.0\n" }])]),
      {
        tempDir: parent,
      },
    );
    try {
      assert.equal(archive.index.formatVersion, "2.0.0");
      assert.match(archive.index.warnings.join("\n"), /unknown archive format version "2.0.0"/);
      assert.match(archive.index.warnings.join("\n"), /zero items to restore/);
    } finally {
      await archive.cleanup();
    }
  });

  test("reading a missing item or after cleanup is a clear error", async () => {
    const gz = craftTarGz([
      { name: "resources/pods/namespaces/shop/a.json", data: itemJson("Pod", "a", "shop") },
    ]);
    const archive = await extractArchive(Readable.from([gz]), { tempDir: parent });
    await assert.rejects(
      archive.readItemBytes({ groupResource: "pods", namespace: "shop", name: "b" }),
      /pods shop\/b is not in the archive/,
    );
    await assert.rejects(
      archive.readItemBytes({ groupResource: "pods", namespace: "shop", name: "a", version: "v1" }),
      /version v1/,
    );
    await archive[Symbol.asyncDispose]();
    await archive.cleanup(); // idempotent
    await assert.rejects(
      archive.readItemBytes({ groupResource: "pods", namespace: "shop", name: "a" }),
      /cleaned up/,
    );
  });

  test("a non-preferred version directory is indexed and readable by version", async () => {
    const gz = craftTarGz([
      { name: "metadata/version", data: "1.1.0\n" },
      { name: "resources/horizontalpodautoscalers.autoscaling/namespaces/n/h.json", data: '{"v":"v2"}' },
      {
        name: "resources/horizontalpodautoscalers.autoscaling/v2-preferredversion/namespaces/n/h.json",
        data: '{"v":"v2"}',
      },
      { name: "resources/horizontalpodautoscalers.autoscaling/v1/namespaces/n/h.json", data: '{"v":"v1"}' },
    ]);
    const archive = await extractArchive(Readable.from([gz]), { tempDir: parent });
    try {
      const hpa = archive.index.resources.get("horizontalpodautoscalers.autoscaling")!;
      assert.equal(hpa.preferredVersion, "v2");
      assert.deepEqual(hpa.versions, ["v1", "v2"]);
      assert.equal(archive.index.itemCount, 1);
      const ref = { groupResource: hpa.groupResource, namespace: "n", name: "h" };
      assert.deepEqual(await archive.readItem(ref), { v: "v2" });
      assert.deepEqual(await archive.readItem({ ...ref, version: "v1" }), { v: "v1" });
      assert.deepEqual(await archive.readItem({ ...ref, version: "v2" }), { v: "v2" });
    } finally {
      await archive.cleanup();
    }
  });

  test("an AbortSignal cancels the extraction and removes the directory", async () => {
    const controller = new AbortController();
    controller.abort();
    const gz = craftTarGz([{ name: "resources/pods/cluster/a.json", data: "{}" }]);
    await assert.rejects(
      extractArchive(Readable.from([gz]), { tempDir: parent, signal: controller.signal }),
      (error: Error & { code?: string }) => error.code === "ERR_ABORTED",
    );
    assert.deepEqual(readdirSync(parent), []);
  });

  test("not gzip, and truncated archives, are format errors", async () => {
    await assert.rejects(
      extractArchive(Readable.from([Buffer.from("this is not gzip at all")]), { tempDir: parent }),
      (error: Error) => error instanceof FormatError && /not a gzip'd tar backup/.test(error.message),
    );
    const gz = craftTarGz([{ name: "resources/pods/cluster/a.json", size: 5000, data: "{}" }], {
      end: false,
    });
    await assert.rejects(extractArchive(Readable.from([gz]), { tempDir: parent }), FormatError);
    assert.deepEqual(readdirSync(parent), []);
  });
});
