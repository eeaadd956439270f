// runner/deploy against the real apiserver: every manifest (the default kustomization and the opt-in
// restore overlay) passes server-side dry-run, and the runner's ServiceAccount (a real token from the
// TokenRequest API) can back up and hold its Lease with the default roles, restore only with the
// overlay, while a user with no bindings can do none of it. test/runner/in-cluster.test.ts runs the
// Deployment itself under these roles.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEFAULT_MAX_TOTAL_BYTES } from "../../lib/format/limits.ts";
import { backup, type Cluster, connect, isStowageError, type KubeObject, restore } from "../../lib/index.ts";
import { tempDir } from "../cli/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";
import { DEPLOY, kustomize, RESTORE_OVERLAY } from "./deploy.ts";

/** Every object of runner/deploy with the restore overlay (`kubectl apply -k runner/deploy/restore`). */
const manifests = (): KubeObject[] => kustomize(RESTORE_OVERLAY);

const resourceOf = async (cluster: Cluster, object: KubeObject) => {
  const discovery = await cluster.discovery();
  const resource = discovery.forKind(object.apiVersion ?? "", object.kind ?? "");
  assert.ok(resource, `no resource serves ${object.apiVersion} ${object.kind}`);
  return resource;
};

const saKubeconfig = async (admin: Cluster, namespace: string, name: string): Promise<string> => {
  const { kube } = await testEnv();
  const response = await admin.request({
    method: "POST",
    path: `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 3600 } },
  });
  const token = (JSON.parse(response.body.toString()) as { status: { token: string } }).status.token;
  const file = join(tempDir("stowage-sa-"), "kubeconfig");
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters: [{ name: local, cluster: { server: "${kube.server}", certificate-authority: "${kube.caFile}" } }]
users: [{ name: ${name}, user: { token: "${token}" } }]
contexts: [{ name: local, context: { cluster: local, user: ${name} } }]
current-context: local
`,
    { mode: 0o600 },
  );
  return file;
};

describe("runner/deploy manifests (real apiserver)", () => {
  test("every manifest passes server-side dry-run; the Deployment wires what the runner reads", async () => {
    const admin = await connectTest();
    const objects = manifests();
    const kinds = objects.map((o) => o.kind).sort();
    for (const kind of [
      "ClusterRole",
      "ConfigMap",
      "Deployment",
      "Namespace",
      "Role",
      "Secret",
      "ServiceAccount",
    ]) {
      assert.ok(kinds.includes(kind), `no ${kind} in runner/deploy`);
    }
    const namespace = objects.find((o) => o.kind === "Namespace") as KubeObject;
    await admin.create("namespaces", namespace, { dryRun: true });
    // namespaced objects can only be dry-run into a namespace that exists
    await admin.create("namespaces", namespace);
    onCleanup(() => admin.delete("namespaces", "stowage").catch(() => undefined));
    for (const object of objects.filter((o) => o.kind !== "Namespace")) {
      await admin.create(await resourceOf(admin, object), object, {
        dryRun: true,
        namespace: object.metadata?.namespace,
      });
    }

    // backup-only by default: no role of the default kustomization writes outside the runner's namespace
    // or touches ConfigMaps (its scripts); the restore overlay is what adds cluster-wide writes
    type Rule = { resources: string[]; verbs: string[] };
    const rulesOf = (kind: string, list: KubeObject[]) =>
      list.filter((o) => o.kind === kind).flatMap((o) => (o as KubeObject & { rules: Rule[] }).rules);
    const writes = (rules: Rule[]) =>
      rules.filter((r) => r.verbs.some((v) => !["get", "list", "watch"].includes(v)));
    assert.deepEqual(writes(rulesOf("ClusterRole", kustomize(DEPLOY))), []);
    assert.ok(writes(rulesOf("ClusterRole", objects)).length > 0, "the restore overlay grants writes");
    assert.ok(
      rulesOf("Role", kustomize(DEPLOY)).every(
        (r) => !r.resources.includes("configmaps") && !r.resources.includes("*"),
      ),
    );

    const deployment = objects.find((o) => o.kind === "Deployment") as KubeObject;
    const pod = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      serviceAccountName: string;
      containers: {
        args: string[];
        env: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
        livenessProbe: { httpGet: { path: string } };
        readinessProbe: { httpGet: { path: string } };
        securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
      }[];
      securityContext: { runAsNonRoot: boolean };
      volumes: { name: string; emptyDir?: { sizeLimit?: string } }[];
    };
    const container = pod.containers[0];
    assert.ok(container);
    assert.deepEqual(container.args, ["runner"]);
    const env = Object.fromEntries(
      container.env.map((e) => [e.name, e.value ?? e.valueFrom?.fieldRef?.fieldPath]),
    );
    assert.equal(env.POD_NAME, "metadata.name");
    assert.equal(env.POD_NAMESPACE, "metadata.namespace");
    assert.equal(env.STOWAGE_SCRIPTS, "/scripts");
    assert.equal(container.livenessProbe.httpGet.path, "/healthz");
    assert.equal(container.readinessProbe.httpGet.path, "/readyz");
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.serviceAccountName, "stowage-runner");
    // The scratch volume holds a restore's extracted archive: bounded, and room for the reader's limit.
    const sizeLimit = pod.volumes.find((v) => v.name === "tmp")?.emptyDir?.sizeLimit;
    assert.equal(sizeLimit, "6Gi");
    assert.ok(6 * 1024 ** 3 > DEFAULT_MAX_TOTAL_BYTES, "the scratch volume fits maxTotalBytes");
  });

  test("with the restore overlay the runner's ServiceAccount can back up, restore and hold its Lease; an unbound user cannot", async () => {
    const admin = await connectTest();
    const objects = manifests();
    if (!(await admin.tryGet("namespaces", "stowage"))) {
      await admin.create("namespaces", objects.find((o) => o.kind === "Namespace") as KubeObject);
      onCleanup(() => admin.delete("namespaces", "stowage").catch(() => undefined));
    }
    for (const object of objects.filter((o) =>
      ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(o.kind ?? ""),
    )) {
      await admin.create(await resourceOf(admin, object), object, { namespace: object.metadata?.namespace });
      if (object.kind?.startsWith("Cluster")) {
        const resource = await resourceOf(admin, object);
        onCleanup(() => admin.delete(resource, object.metadata?.name ?? "").catch(() => undefined));
      }
    }

    const source = await makeNamespace(admin, "rbac-src");
    await admin.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: source },
      data: { color: "blue" },
    });
    await admin.create("secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db", namespace: source },
      stringData: { password: "hunter2" },
    });
    await admin.create("roles", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "reader", namespace: source },
      rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get"] }],
    });
    const target = `${source}-restored`;
    onCleanup(() => admin.delete("namespaces", target).catch(() => undefined));

    const runner = await connect({ kubeconfig: await saKubeconfig(admin, "stowage", "stowage-runner") });
    onCleanup(() => runner.close());
    const store = tempFsStore();
    const backedUp = await backup({
      cluster: runner,
      store,
      name: "as-runner",
      includedNamespaces: [source],
    });
    assert.equal(backedUp.phase, "Completed", JSON.stringify(backedUp.errors));
    assert.ok(backedUp.counts.itemsBackedUp >= 4);
    const restored = await restore({
      cluster: runner,
      store,
      backupName: "as-runner",
      namespaceMapping: { [source]: target },
    });
    assert.equal(restored.phase, "Completed", JSON.stringify(restored.errors));
    assert.ok(await admin.tryGet("configmaps", "settings", { namespace: target }));
    assert.ok(await admin.tryGet("roles", "reader", { namespace: target }));
    await runner.create(
      "leases.coordination.k8s.io",
      {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "rbac-check", namespace: "stowage" },
        spec: { holderIdentity: "test", leaseDurationSeconds: 15 },
      },
      { namespace: "stowage" },
    );

    // a user with no bindings: the backup fails or reports errors, the restore creates nothing
    const { kube } = await testEnv();
    const limited = await connect({ kubeconfig: kube.limitedKubeconfig });
    onCleanup(() => limited.close());
    const denied = await backup({
      cluster: limited,
      store,
      name: "as-nobody",
      includedNamespaces: [source],
    }).then(
      (result) => result,
      (error: unknown) => error,
    );
    if (isStowageError(denied)) assert.match(denied.message, /forbidden|Forbidden/);
    else {
      const result = denied as Awaited<ReturnType<typeof backup>>;
      assert.notEqual(result.phase, "Completed");
      assert.ok(result.counts.errors > 0);
      assert.equal(result.counts.itemsBackedUp, 0);
    }
    const other = `${source}-denied`;
    const refused = await restore({
      cluster: limited,
      store,
      backupName: "as-runner",
      namespaceMapping: { [source]: other },
    }).then(
      (result) => result,
      (error: unknown) => error,
    );
    if (!isStowageError(refused)) {
      const result = refused as Awaited<ReturnType<typeof restore>>;
      assert.notEqual(result.phase, "Completed");
    }
    assert.equal(await admin.tryGet("namespaces", other), undefined);
    assert.equal(await admin.tryGet("configmaps", "settings", { namespace: other }), undefined);
  });
});
