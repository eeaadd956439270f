// runner/deploy applied to the test cluster and run in it: the Deployment's pod is run by the harness
// node (its container as a local process, with a projected service-account token from the real
// TokenRequest API and the in-cluster configuration), so its scheduled backup, the restic Job of a
// pod-volume backup and a restore go through the real manifests and the real RBAC authorizer. The
// can-i matrix asks the apiserver the SubjectAccessReviews `kubectl auth can-i --as=…` sends.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { type KubeObject, listBackups, listRestores, s3Store } from "../../lib/index.ts";
import type { PodVolumeBackupRecord } from "../../lib/podvolume/records.ts";
import { decodeJsonGz, getBuffer, openCatalog } from "../../lib/store/index.ts";
import { backupKeys } from "../../lib/store/layout.ts";
import { BIN } from "../cli/support.ts";
import { resticPath, tempDir, tempS3Location } from "../podvolume/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, type NodePlayer, podOnNode, startNodePlayer } from "../support/node-player.ts";
import { freePort, waitUntil } from "../support/processes.ts";
import {
  type Access,
  applyObjects,
  canI,
  DEPLOY,
  HOOKS_OVERLAY,
  kustomize,
  RESTORE_OVERLAY,
  relocate,
} from "./deploy.ts";

const key = (o: KubeObject) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

/** The objects an overlay adds to the default kustomization. */
const overlayExtras = (overlay: string): KubeObject[] => {
  const base = new Set(kustomize(DEPLOY).map(key));
  return kustomize(overlay).filter((o) => !base.has(key(o)));
};
const restoreExtras = (): KubeObject[] => overlayExtras(RESTORE_OVERLAY);

/** runner/deploy (default kustomization) in a namespace of its own: the namespace and the suffix. */
const deployRelocated = () => {
  const suffix = uniqueSuffix();
  return { namespace: `stowage-${suffix}`, suffix: `-${suffix}` };
};

const podSpecOf = (deployment: KubeObject) =>
  (deployment.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } }).template.spec;

describe("runner/deploy roles (real RBAC authorizer)", () => {
  test("can-i: the default roles read everything and run restic Jobs but grant nothing; the restore overlay adds writes", async () => {
    const admin = await connectTest();
    const { namespace, suffix } = deployRelocated();
    await applyObjects(admin, relocate(kustomize(DEPLOY), namespace, suffix));
    const runner = `system:serviceaccount:${namespace}:stowage-runner`;
    const elsewhere = "default";
    const matrix = async (): Promise<Record<string, boolean>> => {
      const checks: Record<string, Access> = {
        "list pods (all namespaces)": { verb: "list", resource: "pods" },
        "list secrets (all namespaces)": { verb: "list", resource: "secrets" },
        "watch deployments (all namespaces)": { verb: "watch", resource: "deployments", group: "apps" },
        "get persistentvolumes": { verb: "get", resource: "persistentvolumes" },
        "create jobs (runner namespace)": { verb: "create", resource: "jobs", group: "batch", namespace },
        "delete jobs (runner namespace)": { verb: "delete", resource: "jobs", group: "batch", namespace },
        "create secrets (runner namespace)": { verb: "create", resource: "secrets", namespace },
        "update secrets (runner namespace)": { verb: "update", resource: "secrets", namespace },
        "update leases (runner namespace)": {
          verb: "update",
          resource: "leases",
          group: "coordination.k8s.io",
          namespace,
        },
        "create jobs (default)": { verb: "create", resource: "jobs", group: "batch", namespace: elsewhere },
        "create secrets (default)": { verb: "create", resource: "secrets", namespace: elsewhere },
        "create namespaces": { verb: "create", resource: "namespaces" },
        "create clusterrolebindings": {
          verb: "create",
          resource: "clusterrolebindings",
          group: "rbac.authorization.k8s.io",
        },
        "bind clusterroles": { verb: "bind", resource: "clusterroles", group: "rbac.authorization.k8s.io" },
        "escalate roles": { verb: "escalate", resource: "roles", group: "rbac.authorization.k8s.io" },
        "patch deployments (default)": {
          verb: "patch",
          resource: "deployments",
          group: "apps",
          namespace: elsewhere,
        },
        "update configmaps (runner namespace)": { verb: "update", resource: "configmaps", namespace },
        "delete pods (default)": { verb: "delete", resource: "pods", namespace: elsewhere },
        "create pods/exec (default)": {
          verb: "create",
          resource: "pods",
          subresource: "exec",
          namespace: elsewhere,
        },
      };
      const answers: Record<string, boolean> = {};
      for (const [name, access] of Object.entries(checks)) answers[name] = await canI(admin, runner, access);
      return answers;
    };

    const readWrite = {
      "list pods (all namespaces)": true,
      "list secrets (all namespaces)": true,
      "watch deployments (all namespaces)": true,
      "get persistentvolumes": true,
      "create jobs (runner namespace)": true,
      "delete jobs (runner namespace)": true,
      "create secrets (runner namespace)": true,
      "update secrets (runner namespace)": true,
      "update leases (runner namespace)": true,
    };
    assert.deepEqual(await matrix(), {
      ...readWrite,
      "create jobs (default)": false,
      "create secrets (default)": false,
      "create namespaces": false,
      "create clusterrolebindings": false,
      "bind clusterroles": false,
      "escalate roles": false,
      "patch deployments (default)": false,
      // its own scripts ConfigMap is code it runs: it must not be able to rewrite it
      "update configmaps (runner namespace)": false,
      "delete pods (default)": false,
      "create pods/exec (default)": false,
    });

    await applyObjects(admin, relocate(restoreExtras(), namespace, suffix));
    await waitUntil("the restore binding to take effect", () =>
      canI(admin, runner, { verb: "create", resource: "namespaces" }),
    );
    assert.deepEqual(await matrix(), {
      ...readWrite,
      "create jobs (default)": true,
      "create secrets (default)": true,
      "create namespaces": true,
      "create clusterrolebindings": true,
      "bind clusterroles": true,
      "escalate roles": true,
      "patch deployments (default)": true,
      // restore writes every kind, so with the overlay it could: one more reason it is opt-in
      "update configmaps (runner namespace)": true,
      "delete pods (default)": false,
      "create pods/exec (default)": true,
    });
  });

  test("can-i: the hooks overlay adds pods/exec and nothing else", async () => {
    const admin = await connectTest();
    const { namespace, suffix } = deployRelocated();
    await applyObjects(admin, relocate(kustomize(DEPLOY), namespace, suffix));
    const runner = `system:serviceaccount:${namespace}:stowage-runner`;
    const exec: Access = { verb: "create", resource: "pods", subresource: "exec", namespace: "default" };
    const others: Record<string, Access> = {
      "create pods (default)": { verb: "create", resource: "pods", namespace: "default" },
      "create pods/attach (default)": {
        verb: "create",
        resource: "pods",
        subresource: "attach",
        namespace: "default",
      },
      "create namespaces": { verb: "create", resource: "namespaces" },
      "update configmaps (runner namespace)": { verb: "update", resource: "configmaps", namespace },
    };
    assert.equal(await canI(admin, runner, exec), false);
    const extras = overlayExtras(HOOKS_OVERLAY);
    assert.deepEqual(extras.map(key).sort(), [
      "ClusterRole//stowage-hooks",
      "ClusterRoleBinding//stowage-hooks",
    ]);
    await applyObjects(admin, relocate(extras, namespace, suffix));
    await waitUntil("the hooks binding to take effect", () => canI(admin, runner, exec));
    for (const [name, access] of Object.entries(others))
      assert.equal(await canI(admin, runner, access), false, `${name} with the hooks overlay`);
  });
});

/** The script the test puts in the scripts ConfigMap: one scheduled backup, then restores until one completes. */
const SCRIPT = `import { connect, jobDriver, listBackups, restore, schedule, scheduledBackup, storeFromEnv } from "stowage";

const cluster = await connect(); // in-cluster: the projected service-account token
const store = storeFromEnv();
const runnerNamespace = process.env.POD_NAMESPACE;
const app = process.env.TEST_APP_NAMESPACE;
const backupOnce = scheduledBackup({
  cluster,
  store,
  includedNamespaces: [app],
  podVolumes: {
    driver: jobDriver({ cluster, namespace: runnerNamespace, pollIntervalMs: 200, timeoutMs: 120000 }),
    credentialsNamespace: runnerNamespace,
  },
});
let backedUp = false;
schedule({
  name: "in-cluster-backup",
  cron: "*/2 * * * * *",
  run: async (run) => {
    if (backedUp) return undefined;
    const result = await backupOnce(run);
    backedUp = result.phase === "Completed";
    return result;
  },
});
let restored = false;
let attempt = 0;
schedule({
  name: "in-cluster-restore",
  cron: "*/3 * * * * *",
  run: async ({ signal }) => {
    if (restored) return undefined;
    const done = (await listBackups(store)).some(
      (b) => b.metadata.labels?.["velero.io/schedule-name"] === "in-cluster-backup" && b.status?.phase === "Completed",
    );
    if (!done) return undefined;
    const result = await restore({
      cluster,
      store,
      name: "in-cluster-restore-" + ++attempt,
      scheduleName: "in-cluster-backup",
      includedResources: ["configmaps"],
      namespaceMapping: { [app]: process.env.TEST_RESTORE_TARGET },
      signal,
    });
    restored = result.phase === "Completed";
    return result;
  },
});
`;

describe("runner/deploy in the cluster (harness plays the node)", () => {
  test("under its own ServiceAccount the runner pod backs up on schedule with a restic Job, and restores only with the restore overlay (harness plays the node)", async () => {
    const admin = await connectTest();
    const env = await testEnv();
    const { namespace, suffix } = deployRelocated();
    const objects = relocate(kustomize(DEPLOY), namespace, suffix);
    const deployment = objects.find((o) => o.kind === "Deployment") as KubeObject;
    const container = podSpecOf(deployment).containers[0] as {
      image: string;
      env: Array<{ name: string; value?: string }>;
    };
    const image = container.image;

    // the node: it runs the runner image's containers (the runner, and the restic Jobs it starts)
    const node: NodePlayer = await startNodePlayer({
      cluster: admin,
      kubeletDir: tempDir("kubelet"),
      runImages: [image],
      entrypoints: { [image]: [process.execPath, BIN] },
      path: [dirname(resticPath())],
      schedule: [namespace],
    });
    onCleanup(() => node.stop());

    // what the runner backs up: a ConfigMap and a pod with an annotated emptyDir on the node
    const app = await makeNamespace(admin, "incluster-app");
    const target = `${app}-restored`;
    onCleanup(() => admin.delete("namespaces", target).catch(() => undefined));
    await admin.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: app },
      data: { color: "blue" },
    });
    const pod = await createRunningPod(
      admin,
      podOnNode({
        namespace: app,
        name: "web-0",
        node: node.name,
        annotations: { "backup.velero.io/backup-volumes": "data" },
      }),
    );
    writeFileSync(join(node.emptyDir(pod.metadata?.uid ?? "", "data"), "orders.csv"), "1,widget\n");

    // configure the manifests as a user would: store, credentials, scripts, one replica
    const { options } = await tempS3Location();
    const set = (name: string, value: string) => {
      const existing = container.env.find((e) => e.name === name);
      if (existing) existing.value = value;
      else container.env.push({ name, value });
    };
    set("STOWAGE_STORE", `s3://${options.bucket}/velero`);
    set("STOWAGE_S3_ENDPOINT", env.minio.endpoint);
    set("STOWAGE_REGION", env.minio.region);
    set("STOWAGE_METRICS_ADDR", `127.0.0.1:${await freePort()}`);
    set("TEST_APP_NAMESPACE", app);
    set("TEST_RESTORE_TARGET", target);
    (deployment.spec as { replicas: number }).replicas = 1;
    const credentials = objects.find((o) => o.kind === "Secret") as KubeObject & {
      stringData: Record<string, string>;
    };
    credentials.stringData = {
      AWS_ACCESS_KEY_ID: env.minio.accessKey,
      AWS_SECRET_ACCESS_KEY: env.minio.secretKey,
    };
    (objects.find((o) => o.kind === "ConfigMap") as KubeObject & { data: Record<string, string> }).data = {
      "in-cluster.ts": SCRIPT,
    };
    await applyObjects(admin, objects);

    const runnerPod = async (): Promise<KubeObject | undefined> =>
      (await admin.list("pods", { namespace, labelSelector: "app.kubernetes.io/name=stowage-runner" }))[0];
    const logs = async () => {
      const p = await runnerPod();
      return p ? node.logs(namespace, p.metadata?.name ?? "", "runner") : "(no runner pod)";
    };
    const store = s3Store(options);
    const waitFor = async (what: string, probe: () => Promise<boolean>) => {
      let exited = false;
      try {
        await waitUntil(
          what,
          async () => {
            // the node does not restart containers: a runner that exited will not get there
            exited = node.executed.some((c) => c.namespace === namespace && c.container === "runner");
            return exited || (await probe());
          },
          { timeoutMs: 120_000, intervalMs: 500 },
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\nrunner log:\n${await logs()}`);
      }
      if (exited) throw new Error(`${what}: the runner exited; its log:\n${await logs()}`);
    };

    // (a)+(b) the scheduled backup lands in MinIO with its pod volume, backed up by a restic Job the
    // runner created under its ServiceAccount
    let backupName = "";
    await waitFor("a Completed scheduled backup in the bucket", async () => {
      const done = (await listBackups(store)).find(
        (b) =>
          b.metadata.labels?.["velero.io/schedule-name"] === "in-cluster-backup" &&
          b.status?.phase === "Completed",
      );
      backupName = done?.metadata.name ?? "";
      return done !== undefined;
    });
    const volumes =
      (await decodeJsonGz<PodVolumeBackupRecord[]>(
        await getBuffer(store, backupKeys(backupName).podVolumeBackups),
        backupName,
      )) ?? [];
    assert.deepEqual(
      volumes.map((v) => [v.spec.pod.name, v.spec.volume, v.status.phase]),
      [["web-0", "data", "Completed"]],
    );
    const restic = node.executed.filter((c) => c.namespace === namespace && c.container === "restic");
    assert.ok(
      restic.some((c) => c.exitCode === 0),
      `restic Jobs run in ${namespace}: ${JSON.stringify(node.executed)}`,
    );
    const runner = (await runnerPod()) as KubeObject;
    const runnerLog = await logs();
    assert.match(runnerLog, /"msg":"became the leader"|"leader":true/, runnerLog);
    // it talked to the API as the pod (no kubeconfig in its environment): it holds the Lease
    assert.equal((runner.spec as { serviceAccountName: string }).serviceAccountName, "stowage-runner");
    const lease = await admin.get("leases.coordination.k8s.io", "stowage-runner", { namespace });
    assert.equal((lease.spec as { holderIdentity?: string }).holderIdentity, runner.metadata?.name);

    // (c) without the restore overlay the restore is refused: permission errors as data in its results
    let refused = "";
    await waitFor("a refused restore", async () => {
      const restores = await listRestores(store);
      refused = restores.find((r) => r.metadata.name.startsWith("in-cluster-restore-"))?.metadata.name ?? "";
      return refused !== "";
    });
    const refusedRecord = await openCatalog(store).getRestoreRecord(refused);
    assert.equal(refusedRecord.status.phase, "PartiallyFailed");
    const results = await openCatalog(store).getRestoreResults(refused);
    assert.match(
      JSON.stringify(results?.errors),
      new RegExp(`forbidden.*system:serviceaccount:${namespace}:stowage-runner`, "i"),
      JSON.stringify(results),
    );
    assert.equal(await admin.tryGet("namespaces", target), undefined);

    // with the opt-in restore binding the next attempt restores
    await applyObjects(admin, relocate(restoreExtras(), namespace, suffix));
    await waitFor("a Completed restore", async () =>
      (await listRestores(store)).some(
        (r) => r.metadata.name.startsWith("in-cluster-restore-") && r.status.phase === "Completed",
      ),
    );
    const restoredMap = await admin.get("configmaps", "settings", { namespace: target });
    assert.deepEqual(restoredMap.data, { color: "blue" });

    // stop the runner while the harness node still plays its kubelet
    await admin.delete("namespaces", namespace);
    await waitUntil("the runner pod to be gone", async () => (await runnerPod()) === undefined, {
      timeoutMs: 120_000,
    });
  });
});
