import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  backup,
  deleteBackup,
  getBackup,
  listBackups,
  type ObjectStore,
  StoreError,
  ValidationError,
} from "../../lib/index.ts";
import { decodeJsonGz, fsStore, getBuffer, getText } from "../../lib/store/index.ts";
import { seedNginxExample } from "../support/fixtures.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { modesUnder, withUmask } from "../support/modes.ts";
import { tempFsStore, tempS3Store } from "../support/stores.ts";
import { checkLayout, readTarball } from "../support/tarball.ts";

const stores: Array<[string, () => Promise<ObjectStore>]> = [
  ["the directory store", async () => tempFsStore()],
  ["MinIO", () => tempS3Store()],
];

for (const [storeName, makeStore] of stores) {
  describe(`backup() into ${storeName}`, () => {
    test("a namespace with workload, config, RBAC, a bound PVC and custom resources: exactly Velero's entries", async () => {
      const cluster = await connectTest();
      const ns = await makeNamespace(cluster, "bk");
      const seeded = await seedNginxExample(cluster, ns);
      const store = await makeStore();
      const progress: number[] = [];
      const result = await backup({
        cluster,
        store,
        name: `${ns}-full`,
        includedNamespaces: [ns],
        onProgress: (p) => progress.push(p.itemsBackedUp),
      });
      assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
      assert.equal(result.counts.errors, 0);

      const entries = await readTarball(await store.get(`backups/${ns}-full/${ns}-full.tar.gz`));
      const { problems, classic } = checkLayout(entries);
      assert.deepEqual(problems, [], "Velero layout rules hold");
      const expected = [
        `resources/namespaces/cluster/${ns}.json`,
        `resources/deployments.apps/namespaces/${ns}/nginx-deployment.json`,
        `resources/replicasets.apps/namespaces/${ns}/${seeded.replicaSet}.json`,
        `resources/services/namespaces/${ns}/my-nginx.json`,
        `resources/configmaps/namespaces/${ns}/nginx-conf.json`,
        `resources/secrets/namespaces/${ns}/nginx-tls.json`,
        `resources/serviceaccounts/namespaces/${ns}/nginx.json`,
        `resources/serviceaccounts/namespaces/${ns}/default.json`,
        `resources/rolebindings.rbac.authorization.k8s.io/namespaces/${ns}/nginx-view.json`,
        `resources/persistentvolumeclaims/namespaces/${ns}/nginx-logs.json`,
        `resources/persistentvolumes/cluster/${seeded.pv}.json`,
        `resources/customresourcedefinitions.apiextensions.k8s.io/cluster/${seeded.crd.name}.json`,
        `resources/${seeded.crd.groupResource}/namespaces/${ns}/widget-a.json`,
        `resources/${seeded.crd.groupResource}/namespaces/${ns}/widget-b.json`,
      ];
      for (const path of expected) assert.ok(classic.includes(path), `${path} is in the tarball`);
      // nothing from other namespaces, and no cluster-scoped items beyond the namespace, PV and CRD
      for (const path of classic) {
        const parts = path.split("/");
        if (parts[2] === "namespaces")
          assert.equal(parts[3], ns, `${path} belongs to the backed-up namespace`);
        else assert.ok(expected.includes(path), `unexpected cluster-scoped item ${path}`);
      }
      // the preferred-version twin carries the version dir Velero uses
      assert.ok(
        entries.some(
          (e) =>
            e.path ===
            `resources/deployments.apps/v1-preferredversion/namespaces/${ns}/nginx-deployment.json`,
        ),
      );
      assert.ok(
        entries.some(
          (e) => e.path === `resources/persistentvolumes/v1-preferredversion/cluster/${seeded.pv}.json`,
        ),
      );
      // items keep status, uid, resourceVersion, managedFields
      const pvc = JSON.parse(entries.find((e) => e.path.endsWith(`${ns}/nginx-logs.json`))!.body.toString());
      assert.ok(
        pvc.metadata.uid &&
          pvc.metadata.resourceVersion &&
          pvc.metadata.managedFields &&
          pvc.status.phase === "Bound",
      );

      const metadata = JSON.parse(await getText(store, `backups/${ns}-full/velero-backup.json`));
      assert.equal(metadata.kind, "Backup");
      assert.equal(metadata.apiVersion, "velero.io/v1");
      assert.deepEqual(Object.keys(metadata).slice(0, 2), ["kind", "apiVersion"]);
      assert.equal(metadata.status.phase, "Completed");
      assert.equal(metadata.status.formatVersion, "1.1.0");
      assert.equal(metadata.status.progress.itemsBackedUp, classic.length);
      assert.equal(metadata.status.progress.totalItems, classic.length);
      assert.equal(result.counts.itemsBackedUp, classic.length);
      assert.equal(metadata.spec.ttl, "720h0m0s");
      assert.deepEqual(metadata.spec.includedNamespaces, [ns]);
      assert.equal(
        Date.parse(metadata.status.expiration) - Date.parse(metadata.status.startTimestamp),
        720 * 3600_000,
      );
      assert.equal(metadata.metadata.labels["velero.io/storage-location"], "default");
      assert.equal(metadata.metadata.annotations["velero.io/source-cluster-k8s-gitversion"], "v1.35.4");

      const prefix = `backups/${ns}-full/${ns}-full`;
      assert.deepEqual(await decodeJsonGz(await getBuffer(store, `${prefix}-results.gz`)), {
        errors: {},
        warnings: {},
      });
      assert.equal(await decodeJsonGz(await getBuffer(store, `${prefix}-volumesnapshots.json.gz`)), null);
      assert.equal(await decodeJsonGz(await getBuffer(store, `${prefix}-podvolumebackups.json.gz`)), null);
      assert.deepEqual(await decodeJsonGz(await getBuffer(store, `${prefix}-itemoperations.json.gz`)), []);
      assert.deepEqual(await decodeJsonGz(await getBuffer(store, `${prefix}-volumeinfo.json.gz`)), []);
      const resourceList = (await decodeJsonGz(
        await getBuffer(store, `${prefix}-resource-list.json.gz`),
      )) as Record<string, string[]>;
      assert.deepEqual(resourceList["v1/PersistentVolume"], [seeded.pv]);
      assert.ok(resourceList["apps/v1/Deployment"]?.includes(`${ns}/nginx-deployment`));
      assert.ok(resourceList[`${seeded.crd.apiVersion}/Widget`]?.length === 2);
      assert.equal(Object.values(resourceList).flat().length, classic.length);
      assert.ok(progress.length > 0 && progress.at(-1) === classic.length, "progress reached the item count");
    });

    test("a name that exists fails and leaves the existing backup untouched", async () => {
      const cluster = await connectTest();
      const ns = await makeNamespace(cluster, "dup");
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" } },
        { namespace: ns },
      );
      const store = await makeStore();
      await backup({ cluster, store, name: "dup", includedNamespaces: [ns] });
      const before = await getBuffer(store, "backups/dup/velero-backup.json");
      const tarBefore = await getBuffer(store, "backups/dup/dup.tar.gz");
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "two" } },
        { namespace: ns },
      );
      await assert.rejects(
        backup({ cluster, store, name: "dup", includedNamespaces: [ns] }),
        (error: unknown) => {
          assert.ok(error instanceof StoreError);
          assert.equal(error.code, "ERR_ALREADY_EXISTS");
          assert.match(error.message, /backup "dup" already exists/);
          return true;
        },
      );
      assert.ok((await getBuffer(store, "backups/dup/velero-backup.json")).equals(before));
      assert.ok((await getBuffer(store, "backups/dup/dup.tar.gz")).equals(tarBefore));
    });
  });
}

describe("backup() validation and item actions", () => {
  test("invalid options → FailedValidation listing every problem, nothing written", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    await assert.rejects(
      backup({
        cluster,
        store,
        name: "Bad_Name",
        ttl: "forever",
        labelSelector: "app=a",
        orLabelSelectors: ["app=b"],
        includedResources: ["pods"],
        includedNamespaceScopedResources: ["configmaps"],
      }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.ok(error.problems.length >= 4, error.message);
        assert.match(error.message, /name/);
        assert.match(error.message, /ttl "forever"/);
        assert.match(error.message, /labelSelector.*orLabelSelectors|orLabelSelectors.*labelSelector/);
        assert.match(error.message, /old.*new|new.*old/i);
        return true;
      },
    );
    const keys: string[] = [];
    for await (const key of store.list("")) keys.push(key);
    assert.deepEqual(keys, []);
  });

  test("an action that throws on one item → PartiallyFailed naming that item; the rest is complete", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "act");
    for (const name of ["good-1", "bad", "good-2"]) {
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: name } },
        { namespace: ns },
      );
    }
    const store = tempFsStore();
    const result = await backup({
      cluster,
      store,
      name: "act",
      includedNamespaces: [ns],
      actions: [
        {
          name: "example.io/explode-on-bad",
          appliesTo: { resources: ["configmaps"] },
          execute: ({ item }) => {
            if (item.metadata?.name === "bad") throw new Error("boom");
            return {
              item: { ...item, metadata: { ...item.metadata, annotations: { "example.io/seen": "yes" } } },
            };
          },
        },
      ],
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.equal(result.counts.errors, 1);
    const messages = result.errors.namespaces?.[ns] ?? [];
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /bad/);
    assert.match(messages[0]!, /example\.io\/explode-on-bad/);
    assert.match(messages[0]!, /boom/);
    const metadata = JSON.parse(await getText(store, "backups/act/velero-backup.json"));
    assert.equal(metadata.status.phase, "PartiallyFailed");
    assert.equal(metadata.status.errors, 1);
    const entries = await readTarball(await store.get("backups/act/act.tar.gz"));
    const good = entries.find((e) => e.path === `resources/configmaps/namespaces/${ns}/good-2.json`);
    assert.ok(good, "the other items are in the backup");
    assert.equal(
      JSON.parse(good.body.toString()).metadata.annotations["example.io/seen"],
      "yes",
      "the action's output was written",
    );
    const logs = await getText(store, "backups/act/act-logs.gz").catch(() => "");
    assert.equal(typeof logs, "string");
  });
});

describe("backup() into a directory store under umask 022", () => {
  test("leaves no file or directory readable by group or others (the tarball holds Secrets)", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "private");
    await seedNginxExample(cluster, ns);
    const dir = mkdtempSync(join(tmpdir(), "stowage-private-"));
    try {
      const root = join(dir, "store");
      const result = await withUmask(0o022, () =>
        backup({
          cluster,
          store: fsStore(root, { prefix: "velero" }),
          name: `${ns}-private`,
          includedNamespaces: [ns],
        }),
      );
      assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
      const modes = modesUnder(root);
      assert.ok(
        modes.some(([rel]) => rel.endsWith(".tar.gz")),
        "the tarball was written",
      );
      assert.deepEqual(
        modes.filter(([, mode]) => (mode & 0o077) !== 0).map(([rel, mode]) => `${rel} ${mode.toString(8)}`),
        [],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("catalog API: listBackups, getBackup, deleteBackup", () => {
  test("lists our backups newest first, reads metadata + results, deletes every key", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "cat");
    const store = await tempS3Store("catalog");
    await backup({ cluster, store, name: "first", includedNamespaces: [ns] });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // timestamps have second resolution
    await backup({ cluster, store, name: "second", includedNamespaces: [ns], labels: { team: "shop" } });
    const listed = await listBackups(store);
    assert.deepEqual(
      listed.map((b) => b.metadata?.name),
      ["second", "first"],
    );
    const record = await getBackup(store, "second");
    assert.equal(record.backup.status?.phase, "Completed");
    assert.equal(record.backup.metadata?.labels?.team, "shop");
    assert.deepEqual(record.results, { errors: {}, warnings: {} });
    await assert.rejects(
      getBackup(store, "nope"),
      (error: unknown) => (error as { code?: string }).code === "ERR_NOT_FOUND",
    );
    const { deleted } = await deleteBackup(store, "first");
    assert.equal(deleted[0], "backups/first/velero-backup.json", "metadata goes first");
    assert.equal(deleted.length, 10);
    assert.ok(deleted.includes("backups/first/first-stowage-claim.json"), "the name's claim goes with it");
    assert.deepEqual(
      (await listBackups(store)).map((b) => b.metadata?.name),
      ["second"],
    );
    const left: string[] = [];
    for await (const key of store.list("backups/first/")) left.push(key);
    assert.deepEqual(left, []);
  });
});
