// The engines get the built-in item actions from the front door, which installs them. Every entry that
// runs a backup or restore must have loaded it: here the real executable's `backup create`, a schedule
// run (`backup create --from-schedule`, the runner's path) and `restore create` prove that a built-in
// action still applies.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { type Cluster, fsStore, type KubeObject, listBackups } from "../../lib/index.ts";
import { backupKeys, decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { stowage, tempDir } from "./support.ts";

/** The backup's resource list (`<name>-resource-list.json.gz`): `<apiVersion>/<Kind>` → item names. */
const resourceList = async (storeDir: string, name: string): Promise<Record<string, string[]>> =>
  decodeJsonGz(await getBuffer(fsStore(storeDir), backupKeys(name).resourceList)) as Promise<
    Record<string, string[]>
  >;

describe("the CLI runs the built-in item actions", () => {
  let cluster: Cluster;
  let ns = "";
  let binding = "";
  let kube: string[] = [];
  before(async () => {
    const env = await testEnv();
    cluster = await connectTest();
    ns = await makeNamespace(cluster, "cli-builtins");
    kube = ["--kubeconfig", env.kube.kubeconfig];
    // velero.io/service-account (backup) adds the ClusterRoleBindings naming an account: a namespace
    // backup holds this cluster-scoped binding only through that built-in
    binding = `builtins-${uniqueSuffix()}`;
    await cluster.create("serviceaccounts", {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "builder", namespace: ns },
    });
    await cluster.create("clusterrolebindings.rbac.authorization.k8s.io", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: binding },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
      subjects: [{ kind: "ServiceAccount", name: "builder", namespace: ns }],
    });
    onCleanup(() =>
      cluster.delete("clusterrolebindings.rbac.authorization.k8s.io", binding).catch(() => undefined),
    );
  });

  const bindings = (list: Record<string, string[]>) =>
    list["rbac.authorization.k8s.io/v1/ClusterRoleBinding"] ?? [];

  test("backup create: velero.io/service-account adds the account's ClusterRoleBinding", async () => {
    const storeDir = join(tempDir(), "backups");
    const name = `${ns}-cli`;
    const result = await stowage([
      "backup",
      "create",
      name,
      ...kube,
      "--store",
      storeDir,
      "--include-namespaces",
      ns,
      "--wait",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(bindings(await resourceList(storeDir, name)), [binding]);
  });

  test("a schedule run (backup create --from-schedule): the same built-in applies", async () => {
    const scripts = tempDir();
    writeFileSync(
      join(scripts, "nightly.ts"),
      `import { connect, schedule, scheduledBackup, storeFromEnv } from "stowage";
const cluster = await connect();
schedule({ name: "builtins-nightly", cron: "0 2 * * *", run: scheduledBackup({ cluster, store: storeFromEnv(), includedNamespaces: ["${ns}"] }) });
`,
    );
    const storeDir = join(tempDir(), "backups");
    const result = await stowage([
      "backup",
      "create",
      "--from-schedule",
      "builtins-nightly",
      ...kube,
      "--store",
      storeDir,
      "--scripts",
      scripts,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [saved] = await listBackups(fsStore(storeDir));
    const name = saved?.metadata?.name ?? "";
    assert.match(name, /^builtins-nightly-\d{14}$/);
    assert.deepEqual(bindings(await resourceList(storeDir, name)), [binding]);
  });

  test("restore create: velero.io/service clears the clusterIP, so a copy of a Service can be created", async () => {
    const service: KubeObject = await cluster.create("services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: ns },
      spec: { ports: [{ port: 80 }] },
    });
    const original = (service["spec"] as { clusterIP?: string }).clusterIP;
    assert.ok(original, "the apiserver allocated a clusterIP");
    const store = ["--store", join(tempDir(), "backups")];
    const name = `${ns}-svc`;
    const backedUp = await stowage([
      "backup",
      "create",
      name,
      ...kube,
      ...store,
      "--include-namespaces",
      ns,
      "--include-resources",
      "services",
      "--wait",
    ]);
    assert.equal(backedUp.code, 0, backedUp.stderr);
    const copy = `${ns}-copy`;
    onCleanup(() => cluster.delete("namespaces", copy).catch(() => undefined));
    // the copy would ask for the original's clusterIP, already allocated, without the built-in
    const restored = await stowage([
      "restore",
      "create",
      `${name}-r`,
      "--from-backup",
      name,
      ...kube,
      ...store,
      "--namespace-mappings",
      `${ns}:${copy}`,
      "--wait",
    ]);
    assert.equal(restored.code, 0, `${restored.stdout}${restored.stderr}`);
    assert.match(restored.stdout, /completed with status: Completed/);
    const web = await cluster.get("services", "web", { namespace: copy });
    const ip = (web["spec"] as { clusterIP?: string }).clusterIP;
    assert.ok(ip && ip !== original, `a new clusterIP (${ip}), not the original's (${original})`);
  });
});
