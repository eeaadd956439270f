import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { serviceAccountBackupAction } from "../../hooks/backup/service-account.ts";
import { createBuiltinRestoreActions } from "../../hooks/index.ts";
import { secretRestoreAction } from "../../hooks/restore/secret.ts";
import { resolveActions } from "../../lib/actions/registry.ts";
import { runRestoreActions } from "../../lib/actions/run.ts";
import type {
  BackupItemActionOutput,
  Cluster,
  KubeObject,
  RestoreItemActionOutput,
} from "../../lib/index.ts";
import { backupInfo, backupInput, field, restoreInfo, restoreInput } from "../actions/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";

const createClusterScoped = async (cluster: Cluster, resource: string, object: KubeObject) => {
  const created = await cluster.create(resource, object);
  onCleanup(() => cluster.delete(resource, object.metadata!.name!).catch(() => undefined));
  return created;
};

/** Counts LIST calls made through `cluster` (an own property shadows the prototype's method). */
const countLists = (cluster: Cluster) => {
  const calls: string[] = [];
  const original = cluster.list.bind(cluster);
  cluster.list = (ref, options) => {
    calls.push(typeof ref === "string" ? ref : ref.groupResource);
    return original(ref, options);
  };
  return calls;
};

describe("velero.io/service-account (backup) against the real apiserver", () => {
  test("adds the ClusterRoleBindings naming the account, then their ClusterRoles; lists bindings once per backup", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "sa-backup");
    const other = await makeNamespace(cluster, "sa-other");
    const s = uniqueSuffix();
    for (const name of [`viewer-${s}`, `editor-${s}`]) {
      await createClusterScoped(cluster, "clusterroles.rbac.authorization.k8s.io", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: { name },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
      });
    }
    const crb = (name: string, role: string, subjects: Array<Record<string, string>>) =>
      createClusterScoped(cluster, "clusterrolebindings.rbac.authorization.k8s.io", {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
        subjects,
      });
    await crb(`b-view-${s}`, `viewer-${s}`, [{ kind: "ServiceAccount", name: "builder", namespace: ns }]);
    await crb(`a-edit-${s}`, `editor-${s}`, [
      { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "builder" },
      { kind: "ServiceAccount", name: "builder", namespace: ns },
    ]);
    await crb(`c-elsewhere-${s}`, `editor-${s}`, [
      { kind: "ServiceAccount", name: "builder", namespace: other },
    ]);
    await crb(`d-user-${s}`, `viewer-${s}`, [
      { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "builder" },
    ]);
    // a RoleBinding is not Velero's business here
    await cluster.create("rolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "rb", namespace: ns },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `viewer-${s}` },
      subjects: [{ kind: "ServiceAccount", name: "builder", namespace: ns }],
    });
    for (const name of ["builder", "lonely"]) {
      await cluster.create("serviceaccounts", {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name, namespace: ns },
      });
    }

    const lists = countLists(cluster);
    const action = serviceAccountBackupAction();
    const backup = backupInfo();
    const sa = (name: string): KubeObject => ({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace: ns },
    });
    const out = (await action.execute(
      backupInput(sa("builder"), { cluster, backup }),
    )) as BackupItemActionOutput;
    const mine = (out.additionalItems ?? []).filter((i) => i.name.endsWith(s));
    assert.deepEqual(mine, [
      { resource: "clusterrolebindings.rbac.authorization.k8s.io", name: `a-edit-${s}` },
      { resource: "clusterrolebindings.rbac.authorization.k8s.io", name: `b-view-${s}` },
      { resource: "clusterroles.rbac.authorization.k8s.io", name: `editor-${s}` },
      { resource: "clusterroles.rbac.authorization.k8s.io", name: `viewer-${s}` },
    ]);
    assert.equal(await action.execute(backupInput(sa("lonely"), { cluster, backup })), undefined);
    assert.deepEqual(
      lists,
      ["clusterrolebindings.rbac.authorization.k8s.io"],
      "one LIST for the whole backup",
    );

    // a new backup (a new BackupInfo) sees bindings created since
    await crb(`e-new-${s}`, `viewer-${s}`, [{ kind: "ServiceAccount", name: "lonely", namespace: ns }]);
    const next = (await action.execute(
      backupInput(sa("lonely"), { cluster, backup: backupInfo("nightly-2") }),
    )) as BackupItemActionOutput;
    assert.deepEqual(
      next.additionalItems?.map((i) => i.name),
      [`e-new-${s}`, `viewer-${s}`],
    );
    assert.equal(lists.length, 2);
  });
});

describe("velero.io/secret (restore) against the real apiserver", () => {
  test("skips auto-created token secrets of existing accounts and strips the rest", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "secret-restore");
    await cluster.create("serviceaccounts", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "builder", namespace: ns },
    });
    const tokenSecret = (name: string): KubeObject => ({
      apiVersion: "v1",
      kind: "Secret",
      type: "kubernetes.io/service-account-token",
      metadata: {
        name,
        namespace: ns,
        annotations: {
          "kubernetes.io/service-account.name": "builder",
          "kubernetes.io/service-account.uid": "old-uid",
        },
      },
      data: { token: "dG9rZW4=", "ca.crt": "Y2E=", namespace: "bnM=" },
    });
    const action = secretRestoreAction();
    const skipped = (await action.execute(
      restoreInput(tokenSecret("builder-token-x7k2p"), { cluster }),
    )) as RestoreItemActionOutput;
    assert.equal(skipped.skip, `auto-created token of serviceaccount ${ns}/builder`);

    const manual = (await action.execute(
      restoreInput(tokenSecret("ci-long-lived"), { cluster }),
    )) as RestoreItemActionOutput;
    assert.deepEqual(manual.item?.metadata?.annotations, { "kubernetes.io/service-account.name": "builder" });
    assert.deepEqual(field(manual, "data"), { namespace: "bnM=" });
    // and the apiserver accepts it; the token controller fills it in
    await cluster.create("secrets", manual.item!);

    const opaque: KubeObject = {
      apiVersion: "v1",
      kind: "Secret",
      type: "Opaque",
      metadata: { name: "db", namespace: ns },
      data: { token: "eA==" },
    };
    assert.equal(await action.execute(restoreInput(opaque, { cluster: undefined as never })), undefined);
  });
});

describe("plugin ConfigMaps against the real apiserver", () => {
  test("change-storage-class and change-image-name read their ConfigMap once per restore; two ConfigMaps are an error", async () => {
    const cluster = await connectTest();
    const config = await makeNamespace(cluster, "plugin-config");
    const target = await makeNamespace(cluster, "plugin-target");
    const fast = `fast-${uniqueSuffix()}`;
    await createClusterScoped(cluster, "storageclasses.storage.k8s.io", {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: fast },
      provisioner: "example.com/none",
    });
    await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "change-storage-class-config",
        namespace: config,
        labels: { "velero.io/plugin-config": "", "velero.io/change-storage-class": "RestoreItemAction" },
      },
      data: { standard: fast },
    });
    await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "change-image-name-config",
        namespace: config,
        labels: { "stowage.dev/plugin-config": "", "velero.io/change-image-name": "RestoreItemAction" },
      },
      data: { case1: "registry.old.example.com,registry.new.example.com", broken: "no-comma" },
    });

    const set = resolveActions(
      createBuiltinRestoreActions({ pluginConfigNamespace: config }),
      await cluster.discovery(),
    );
    const lists = countLists(cluster);
    const restore = restoreInfo();
    const restoreOne = async (groupResource: string, item: KubeObject) => {
      const outcome = await runRestoreActions(
        set.forItem({ groupResource, namespace: target, labels: item.metadata?.labels }),
        {
          ...restoreInput(item, { cluster, restore }),
          groupResource,
        },
      );
      assert.deepEqual(outcome.errors, []);
      return outcome.item;
    };
    const claim = (name: string, storageClassName: string): KubeObject => ({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name, namespace: target },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: "1Gi" } } },
    });
    const a = await restoreOne("persistentvolumeclaims", claim("a", "standard"));
    assert.equal((a["spec"] as Record<string, unknown>)["storageClassName"], fast);
    const b = await restoreOne("persistentvolumeclaims", claim("b", "other"));
    assert.equal((b["spec"] as Record<string, unknown>)["storageClassName"], "other");
    await cluster.create("persistentvolumeclaims", a);

    const pod = await restoreOne("pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web", namespace: target },
      spec: { containers: [{ name: "web", image: "registry.old.example.com/shop/web:3" }] },
    });
    assert.equal(
      (pod["spec"] as { containers: Array<{ image: string }> }).containers[0]!.image,
      "registry.new.example.com/shop/web:3",
    );
    // two selectors (velero.io and stowage.dev) per plugin, once per restore
    assert.equal(lists.filter((l) => l === "configmaps").length, 4);

    // a second ConfigMap for the same plugin is an item error naming both
    await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "another-storage-class-config",
        namespace: config,
        labels: { "stowage.dev/plugin-config": "", "velero.io/change-storage-class": "RestoreItemAction" },
      },
      data: { standard: "slow" },
    });
    const outcome = await runRestoreActions(
      set.forItem({ groupResource: "persistentvolumeclaims", namespace: target }),
      {
        ...restoreInput(claim("c", "standard"), { cluster, restore: restoreInfo({ name: "restore-2" }) }),
        groupResource: "persistentvolumeclaims",
      },
    );
    assert.equal(outcome.errors.length, 1);
    assert.match(
      outcome.errors[0]!.message,
      new RegExp(
        `^persistentvolumeclaims ${target}/c: action velero.io/change-storage-class failed: found 2 ConfigMaps configuring velero.io/change-storage-class in namespace "${config}" \\(another-storage-class-config, change-storage-class-config\\), expected at most one`,
      ),
    );
  });

  test("without pluginConfigNamespace no ConfigMap is read", async () => {
    const cluster = await connectTest();
    const set = resolveActions(createBuiltinRestoreActions(), await cluster.discovery());
    const lists = countLists(cluster);
    const item: KubeObject = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "x", namespace: "default" },
      spec: { storageClassName: "standard" },
    };
    const outcome = await runRestoreActions(
      set.forItem({ groupResource: "persistentvolumeclaims", namespace: "default" }),
      {
        ...restoreInput(item, { cluster }),
        groupResource: "persistentvolumeclaims",
      },
    );
    assert.deepEqual(outcome.errors, []);
    assert.deepEqual(lists, []);
  });
});
