/**
 * Archives that are well-formed tarballs but lie about their items: a path whose scope, name or
 * namespace disagrees with the cluster's discovery or with the item's JSON, and item files that are
 * not objects. Each bad item is refused on its own (an error naming its archive path, against its
 * namespace), the good items beside it are restored, nothing outside the requested scope is created
 * or patched, and the restore is recorded.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fsStore, getRestore, type RestoreResult, restore } from "../../lib/index.ts";
import { openCatalog } from "../../lib/store/catalog.ts";
import { type CraftedEntry, craftTarGz } from "../format/support.ts";
import { connectTest, uniqueSuffix } from "../support/kube.ts";
import { goJson, veleroBackupJson, writeVeleroBackup } from "../support/velero-backups.ts";

const cluster = await connectTest();
const storeRoot = mkdtempSync(join(tmpdir(), "stowage-restore-hostile-scope-"));
const store = fsStore(storeRoot, { fsync: false });
const namespaces: string[] = [];
const clusterRoleBindings: string[] = [];
after(async () => {
  for (const ns of namespaces) await cluster.delete("namespaces", ns).catch(() => undefined);
  for (const crb of clusterRoleBindings)
    await cluster.delete("clusterrolebindings", crb).catch(() => undefined);
  rmSync(storeRoot, { recursive: true, force: true });
});

const VERSION: CraftedEntry = { name: "metadata/version", data: "1.1.0\n" };

/** A namespace name unique to this run, removed after the file. */
const freshNs = (prefix: string): string => {
  const ns = `${prefix}-${uniqueSuffix()}`;
  namespaces.push(ns);
  return ns;
};

const namespaceEntry = (ns: string, labels?: Record<string, string>): CraftedEntry => ({
  name: `resources/namespaces/cluster/${ns}.json`,
  data: goJson({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, ...(labels ? { labels } : {}) },
  }),
});

const configMap = (name: string, namespace: string | undefined, data: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: namespace === undefined ? { name } : { name, namespace },
  data,
});

const configMapEntry = (ns: string, name: string): CraftedEntry => ({
  name: `resources/configmaps/namespaces/${ns}/${name}.json`,
  data: goJson(configMap(name, ns, { good: "yes" })),
});

/** Stores the entries as a Completed backup and returns its name. */
const storeBackup = (entries: CraftedEntry[]): string => {
  const name = `scope-${uniqueSuffix()}`;
  writeVeleroBackup(
    storeRoot,
    name,
    craftTarGz([VERSION, ...entries]),
    veleroBackupJson(name, { formatVersion: "1.1.0", totalItems: entries.length }),
  );
  return name;
};

/** Every error message of a result, wherever it is filed. */
const allErrors = (result: RestoreResult): string[] => [
  ...(result.errors.velero ?? []),
  ...(result.errors.cluster ?? []),
  ...Object.values(result.errors.namespaces ?? {}).flat(),
];

/** The restore is recorded with `phase`, and its results and log are readable. */
const assertRecorded = async (name: string, phase: string): Promise<void> => {
  const { restore: record, results } = await getRestore(store, name);
  assert.equal(record.status?.phase, phase);
  assert.ok(results, "the results were written");
  assert.ok((await openCatalog(store).getRestoreLogText(name)).length > 0, "the log was written");
};

describe("restore() takes scope and identity from the cluster, never from the archive path", () => {
  test("a ClusterRoleBinding filed under namespaces/<ns>/ is refused, not created", async () => {
    const ns = freshNs("hs1");
    const crb = `hs1-crb-${uniqueSuffix()}`;
    clusterRoleBindings.push(crb);
    const path = `resources/clusterrolebindings.rbac.authorization.k8s.io/namespaces/${ns}/${crb}.json`;
    const backupName = storeBackup([
      namespaceEntry(ns),
      configMapEntry(ns, "good"),
      {
        name: path,
        data: goJson({
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRoleBinding",
          metadata: { name: crb, namespace: ns },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
          subjects: [{ kind: "ServiceAccount", name: "default", namespace: ns }],
        }),
      },
    ]);
    const result = await restore({
      cluster,
      store,
      backupName,
      includedNamespaces: [ns],
      includeClusterResources: false,
    });
    assert.equal(await cluster.tryGet("clusterrolebindings", crb), undefined, "the binding was not created");
    assert.ok(await cluster.tryGet("configmaps", "good", { namespace: ns }), "the good item was restored");
    assert.equal(result.phase, "PartiallyFailed");
    const nsErrors = result.errors.namespaces?.[ns] ?? [];
    assert.ok(
      nsErrors.some((e) => e.includes(path) && /cluster-scoped/.test(e)),
      `an error against ${ns} names ${path}: ${JSON.stringify(result.errors)}`,
    );
    assert.equal(result.plan.find((e) => e.name === crb)?.action, "fail");
    await assertRecorded(result.name, "PartiallyFailed");
  });

  test("a ConfigMap filed under cluster/ (its JSON naming kube-system) is refused", async () => {
    const ns = freshNs("hs2");
    const cm = `hs2-${uniqueSuffix()}`;
    const path = `resources/configmaps/cluster/${cm}.json`;
    const backupName = storeBackup([
      namespaceEntry(ns),
      configMapEntry(ns, "good"),
      { name: path, data: goJson(configMap(cm, "kube-system", { evil: "yes" })) },
    ]);
    const result = await restore({ cluster, store, backupName });
    assert.equal(
      await cluster.tryGet("configmaps", cm, { namespace: "kube-system" }),
      undefined,
      "nothing was created in kube-system",
    );
    assert.ok(await cluster.tryGet("configmaps", "good", { namespace: ns }), "the good item was restored");
    assert.equal(result.phase, "PartiallyFailed");
    assert.ok(
      allErrors(result).some((e) => e.includes(path) && /namespaced/.test(e)),
      `an error names ${path}: ${JSON.stringify(result.errors)}`,
    );
    await assertRecorded(result.name, "PartiallyFailed");
  });

  test("an item whose JSON name or namespace disagrees with its path is refused, never patched", async () => {
    const ns = freshNs("hs3");
    await cluster.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    // two live objects: the JSON names one, the path the other
    for (const live of ["victim", "decoy"])
      await cluster.create("configmaps", configMap(live, ns, { live: "yes" }), { namespace: ns });
    const renamed = `resources/configmaps/namespaces/${ns}/victim.json`;
    const moved = `resources/configmaps/namespaces/${ns}/moved.json`;
    const backupName = storeBackup([
      namespaceEntry(ns),
      configMapEntry(ns, "good"),
      { name: renamed, data: goJson(configMap("decoy", ns, { pwned: "yes" })) },
      { name: moved, data: goJson(configMap("moved", "kube-system", { pwned: "yes" })) },
    ]);
    const result = await restore({ cluster, store, backupName, existingResourcePolicy: "update" });
    for (const live of ["victim", "decoy"]) {
      const object = await cluster.get("configmaps", live, { namespace: ns });
      assert.deepEqual(object.data, { live: "yes" }, `${live} was not patched`);
    }
    assert.equal(await cluster.tryGet("configmaps", "moved", { namespace: ns }), undefined);
    assert.equal(await cluster.tryGet("configmaps", "moved", { namespace: "kube-system" }), undefined);
    assert.ok(await cluster.tryGet("configmaps", "good", { namespace: ns }), "the good item was restored");
    assert.equal(result.phase, "PartiallyFailed");
    const nsErrors = result.errors.namespaces?.[ns] ?? [];
    assert.ok(
      nsErrors.some((e) => e.includes(renamed) && e.includes('"decoy"') && e.includes('"victim"')),
      `an error names ${renamed} and both names: ${JSON.stringify(result.errors)}`,
    );
    assert.ok(
      nsErrors.some((e) => e.includes(moved) && e.includes('"kube-system"') && e.includes(`"${ns}"`)),
      `an error names ${moved} and both namespaces: ${JSON.stringify(result.errors)}`,
    );
    await assertRecorded(result.name, "PartiallyFailed");
  });
});

describe("restore() fails one bad item, not the whole restore", () => {
  test("non-JSON bytes and a JSON null fail their items; the good item is restored and all is recorded", async () => {
    const ns = freshNs("hs4");
    const garbage = `resources/configmaps/namespaces/${ns}/garbage.json`;
    const nul = `resources/configmaps/namespaces/${ns}/nothing.json`;
    const array = `resources/secrets/namespaces/${ns}/list.json`;
    const backupName = storeBackup([
      namespaceEntry(ns),
      { name: garbage, data: "\x00\x01 this is not JSON {" },
      { name: nul, data: "null" },
      { name: array, data: "[1,2]" },
      configMapEntry(ns, "good"),
    ]);
    const result = await restore({ cluster, store, backupName });
    assert.ok(await cluster.tryGet("configmaps", "good", { namespace: ns }), "the good item was restored");
    assert.equal(result.phase, "PartiallyFailed");
    const nsErrors = result.errors.namespaces?.[ns] ?? [];
    for (const path of [garbage, nul, array])
      assert.ok(
        nsErrors.some((e) => e.includes(path)),
        `an error against ${ns} names ${path}: ${JSON.stringify(result.errors)}`,
      );
    for (const name of ["garbage", "nothing", "list"])
      assert.equal(result.plan.find((e) => e.name === name)?.action, "fail", `${name} failed`);
    assert.equal(result.counts.errors, 3);
    await assertRecorded(result.name, "PartiallyFailed");
  });

  test("a namespace the server refuses to create fails its items; other namespaces are restored", async () => {
    const bad = freshNs("hs5-bad");
    const ok = freshNs("hs5-ok");
    const backupName = storeBackup([
      namespaceEntry(bad, { "not a valid/label key!": "x" }),
      namespaceEntry(ok),
      configMapEntry(bad, "inbad"),
      configMapEntry(ok, "good"),
    ]);
    const result = await restore({ cluster, store, backupName });
    assert.equal(await cluster.tryGet("namespaces", bad), undefined);
    assert.ok(await cluster.tryGet("configmaps", "good", { namespace: ok }), "the good item was restored");
    assert.equal(result.phase, "PartiallyFailed");
    assert.ok((result.errors.namespaces?.[bad] ?? []).length > 0, JSON.stringify(result.errors));
    assert.equal(result.plan.find((e) => e.name === "inbad")?.action, "fail");
    await assertRecorded(result.name, "PartiallyFailed");
  });

  test("an aborted restore rejects, and is still recorded (Failed) with its results and log", async () => {
    const ns = freshNs("hs6");
    const backupName = storeBackup([
      namespaceEntry(ns),
      ...Array.from({ length: 20 }, (_, i) => configMapEntry(ns, `cm-${i}`)),
    ]);
    const controller = new AbortController();
    const name = `aborted-${uniqueSuffix()}`;
    await assert.rejects(
      restore({
        cluster,
        store,
        backupName,
        name,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.itemsRestored >= 2) controller.abort();
        },
      }),
      (error: unknown) => (error as { code?: string }).code === "ERR_ABORTED",
    );
    await assertRecorded(name, "Failed");
  });
});
