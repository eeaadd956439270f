import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fsStore, type KubeObject, restore } from "../../lib/index.ts";
import { readTarGz } from "../format/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, uniqueSuffix } from "../support/kube.ts";
import {
  type ArchiveItem,
  type ArchiveLayout,
  buildVeleroTarball,
  itemTarPaths,
  veleroBackupJson,
  writeVeleroBackup,
} from "../support/velero-backups.ts";

/** A namespace, a ConfigMap and a Secret, as a Velero backup holds them (status and server fields kept). */
const shopItems = (ns: string): ArchiveItem[] => [
  {
    groupResource: "namespaces",
    version: "v1",
    object: {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: ns,
        uid: "0b7c3f0e-0000-4000-8000-000000000001",
        resourceVersion: "51300",
        creationTimestamp: "2026-11-22T03:31:00Z",
        labels: { "kubernetes.io/metadata.name": ns, team: "shop" },
        annotations: { "shop.example.com/owner": "alice" },
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    },
  },
  {
    groupResource: "configmaps",
    version: "v1",
    object: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "shop-settings",
        namespace: ns,
        uid: "0b7c3f0e-0000-4000-8000-000000000002",
        resourceVersion: "51310",
        creationTimestamp: "2026-11-22T03:31:04Z",
        labels: { app: "shop" },
      },
      data: { currency: "EUR", "settings.yaml": "checkout:\n  retries: 3\n" },
    },
  },
  {
    groupResource: "secrets",
    version: "v1",
    object: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "shop-db",
        namespace: ns,
        uid: "0b7c3f0e-0000-4000-8000-000000000003",
        resourceVersion: "51311",
        creationTimestamp: "2026-11-22T03:31:04Z",
        labels: { app: "shop" },
      },
      type: "Opaque",
      data: { password: Buffer.from("not-a-real-password").toString("base64") },
    },
  },
];

/** What each layout's `velero-backup.json` says about the format (Velero 1.4+ / 0.11–1.3 / older). */
const STATUS: Record<ArchiveLayout, { formatVersion?: string; version?: number }> = {
  "1.1.0": { formatVersion: "1.1.0", version: 1 },
  "1": { version: 1 },
  none: {},
};

const restoreLayout = async (layout: ArchiveLayout) => {
  const cluster = await connectTest();
  const ns = `fv-${layout === "1.1.0" ? "110" : layout}-${uniqueSuffix()}`;
  onCleanup(() => cluster.delete("namespaces", ns).catch(() => undefined));
  const items = shopItems(ns);
  const tarball = await buildVeleroTarball(items, layout);

  // the tarball is what the layout says (checked with the independent reader, not lib/format)
  const entries = await readTarGz(tarball);
  const expectedPaths = [
    ...(layout === "none" ? [] : ["metadata/version"]),
    ...items.flatMap((item) => itemTarPaths(item, layout)),
  ];
  assert.deepEqual(
    entries.map((e) => e.header.name),
    expectedPaths,
  );
  for (const e of entries) {
    assert.equal(e.header.type, "file");
    assert.equal(e.header.mode, 0o755);
  }
  if (layout !== "none") assert.equal(entries[0]?.data.toString(), `${layout}\n`);

  const root = mkdtempSync(join(tmpdir(), "stowage-restore-fv-"));
  onCleanup(() => rmSync(root, { recursive: true, force: true }));
  const backupName = `fv-${layout === "1.1.0" ? "110" : layout}-backup`;
  writeVeleroBackup(
    root,
    backupName,
    tarball,
    veleroBackupJson(backupName, { ...STATUS[layout], totalItems: items.length, includedNamespaces: [ns] }),
  );

  const result = await restore({ cluster, store: fsStore(root, { fsync: false }), backupName });
  assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
  assert.equal(result.counts.errors, 0);
  assert.equal(result.counts.warnings, 0, JSON.stringify(result.warnings));
  assert.equal(result.counts.totalItems, 3);
  assert.equal(result.counts.itemsRestored, 3);
  assert.deepEqual(
    result.plan.map((e) => [e.resource, e.namespace ?? "", e.name, e.action]),
    [
      ["namespaces", "", ns, "create"],
      ["secrets", ns, "shop-db", "create"],
      ["configmaps", ns, "shop-settings", "create"],
    ],
  );

  const namespace = await cluster.get("namespaces", ns);
  assert.equal(namespace.metadata?.labels?.["team"], "shop");
  assert.equal(namespace.metadata?.annotations?.["shop.example.com/owner"], "alice");
  const source = (kind: string): KubeObject => items.find((i) => i.object.kind === kind)!.object;
  const cm = await cluster.get("configmaps", "shop-settings", { namespace: ns });
  assert.deepEqual(cm.data, source("ConfigMap").data);
  assert.equal(cm.metadata?.labels?.["app"], "shop");
  assert.equal(cm.metadata?.labels?.["velero.io/backup-name"], backupName);
  assert.equal(cm.metadata?.labels?.["velero.io/restore-name"], result.name);
  assert.notEqual(cm.metadata?.uid, source("ConfigMap").metadata?.uid, "a new object, not the backed-up uid");
  const secret = await cluster.get("secrets", "shop-db", { namespace: ns });
  assert.equal(secret.type, "Opaque");
  assert.deepEqual(secret.data, source("Secret").data);
  assert.equal(secret.metadata?.labels?.["velero.io/restore-name"], result.name);
};

describe("restore(): every archive format version Velero has written", () => {
  test("format 1.1.0 (Velero 1.4+): version file first, classic and v1-preferredversion copies", async () => {
    await restoreLayout("1.1.0");
  });

  test("format 1 (Velero 0.11–1.3): version file `1`, classic paths only", async () => {
    await restoreLayout("1");
  });

  test("no version file (before Velero 0.11): classic paths only", async () => {
    await restoreLayout("none");
  });
});
