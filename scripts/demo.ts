// npm run demo — the Ark quickstart, without a cloud or even a cluster.
//
// With no KUBECONFIG it builds (first time) and starts a local control plane, deploys the
// nginx-example namespace, backs it up into ./stowage-data, deletes the namespace, waits until it is
// gone, restores it and prints the backup and restore tables. With KUBECONFIG set it asks before touching that cluster (or
// takes --yes) and works in a throwaway namespace. It cleans up what it started.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
  backup,
  type Cluster,
  connect,
  fsStore,
  isNotFound,
  type KubeObject,
  listRestores,
  openCatalog,
  restore,
} from "stowage";
import { repoRoot } from "../test/support/binaries.ts";
import { startControlPlane } from "../test/support/control-plane.ts";
import { Supervisor } from "../test/support/processes.ts";

const args = process.argv.slice(2);
const yes = args.includes("--yes") || args.includes("-y");
const storeDir = resolve(process.env.STOWAGE_DEMO_STORE ?? "./stowage-data");
const say = (line: string) => process.stdout.write(`${line}\n`);

const nginxExample = (ns: string): KubeObject[] => [
  { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { app: "nginx" } } },
  {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "nginx-conf", namespace: ns, labels: { app: "nginx" } },
    data: { "index.html": "<h1>hello from stowage</h1>\n" },
  },
  {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "nginx", namespace: ns, labels: { app: "nginx" } },
  },
  {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "nginx-deployment", namespace: ns, labels: { app: "nginx" } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "nginx" } },
      template: {
        metadata: { labels: { app: "nginx" } },
        spec: {
          serviceAccountName: "nginx",
          containers: [{ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80 }] }],
        },
      },
    },
  },
  {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "my-nginx", namespace: ns, labels: { app: "nginx" } },
    spec: { type: "LoadBalancer", selector: { app: "nginx" }, ports: [{ port: 80, targetPort: 80 }] },
  },
];

const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const row of rows)
    say(
      row
        .map((cell, i) => cell.padEnd(widths[i]! + 3))
        .join("")
        .trimEnd(),
    );
};

const waitGone = async (cluster: Cluster, ns: string) => {
  for (let i = 0; i < 600; i++) {
    try {
      await cluster.get("namespaces", ns);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await sleep(200);
  }
  throw new Error(`namespace ${ns} still exists after 2 minutes`);
};

let supervisor: Supervisor | undefined;
let kubeconfig = process.env.KUBECONFIG;
let namespace = "nginx-example";
try {
  if (!kubeconfig) {
    say("No KUBECONFIG: starting a local control plane (etcd + kube-apiserver + kube-controller-manager).");
    say("The first run builds them from the Go module proxy (about 6 minutes); later runs take seconds.");
    execFileSync("bash", [join(repoRoot, "scripts", "setup"), "kubernetes", "etcd"], { stdio: "inherit" });
    const dir = mkdtempSync(join(tmpdir(), "stowage-demo-"));
    supervisor = new Supervisor(dir);
    const plane = await startControlPlane(supervisor, dir);
    say(`Control plane ready at ${plane.server} in ${(plane.startupMs / 1000).toFixed(1)} s.`);
    kubeconfig = plane.kubeconfig;
  } else {
    namespace = `nginx-example-${Date.now().toString(36)}`;
    if (!yes) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(
        `KUBECONFIG is set: the demo will create, back up and delete namespace "${namespace}" in that cluster. Continue? [y/N] `,
      );
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        say("Nothing done. Pass --yes to skip this question.");
        process.exit(0);
      }
    }
  }

  const cluster = await connect({ kubeconfig });
  say(`\n1. Deploying the nginx example into namespace "${namespace}"…`);
  for (const object of nginxExample(namespace)) {
    const resource = (await cluster.discovery()).forKind(object.apiVersion!, object.kind!)!;
    await cluster.create(resource, {
      ...object,
      metadata: { ...object.metadata, ...(object.kind === "Namespace" ? {} : { namespace }) },
    });
  }

  const name = `nginx-backup-${new Date()
    .toISOString()
    .replace(/[-:TZ.]/g, "")
    .slice(0, 14)}`;
  const store = fsStore(storeDir);
  say(`2. Backing it up to ${storeDir} as "${name}"…`);
  const result = await backup({
    cluster,
    store,
    name,
    includedNamespaces: [namespace],
    onProgress: (p) => {
      if (process.stdout.isTTY)
        process.stdout.write(
          `\r   ${p.itemsBackedUp} items backed up (${p.resourcesDone}/${p.resourcesTotal} resource types listed)`,
        );
    },
  });
  if (process.stdout.isTTY) process.stdout.write("\n");
  say(
    `   ${result.phase}: ${result.counts.itemsBackedUp} items, ${result.counts.warnings} warnings, ${result.counts.errors} errors.`,
  );

  say(`3. Disaster: deleting namespace "${namespace}" and waiting until it is gone…`);
  await cluster.delete("namespaces", namespace);
  await waitGone(cluster, namespace);
  say("   gone.");

  say("\n$ stowage backup get");
  const catalog = openCatalog(store);
  const rows = [
    ["NAME", "STATUS", "ERRORS", "WARNINGS", "CREATED", "EXPIRES", "STORAGE LOCATION", "SELECTOR"],
  ];
  for (const backupName of await catalog.backupNames()) {
    const b = await catalog.getBackupMetadata(backupName);
    const expires = b.status?.expiration
      ? `${Math.max(0, Math.round((Date.parse(b.status.expiration) - Date.now()) / 86_400_000))}d`
      : "";
    rows.push([
      backupName,
      b.status?.phase ?? "",
      String(b.status?.errors ?? 0),
      String(b.status?.warnings ?? 0),
      b.metadata?.creationTimestamp ?? "",
      expires,
      b.spec?.storageLocation ?? "default",
      "<none>",
    ]);
  }
  table(rows);

  say(`\n4. Restoring "${name}"…`);
  const restored = await restore({
    cluster,
    store,
    backupName: name,
    onProgress: (p) => {
      if (process.stdout.isTTY) process.stdout.write(`\r   ${p.itemsRestored} items restored`);
    },
  });
  if (process.stdout.isTTY) process.stdout.write("\n");
  say(
    `   ${restored.phase}: ${restored.counts.itemsRestored} items, ${restored.counts.warnings} warnings, ${restored.counts.errors} errors.`,
  );
  const back = await cluster.list("deployments.apps", { namespace });
  say(`   nginx-example is back: ${back.map((d) => d.metadata?.name).join(", ")} in namespace ${namespace}.`);

  say("\n$ stowage restore get");
  const restoreRows = [["NAME", "BACKUP", "STATUS", "WARNINGS", "ERRORS", "CREATED", "SELECTOR"]];
  for (const r of await listRestores(store)) {
    restoreRows.push([
      r.metadata.name,
      r.spec.backupName ?? "",
      r.status.phase ?? "",
      String(r.status.warnings ?? 0),
      String(r.status.errors ?? 0),
      r.metadata.creationTimestamp ?? "",
      "<none>",
    ]);
  }
  table(restoreRows);
  if (process.env.KUBECONFIG) {
    await cluster.delete("namespaces", namespace);
    say(`\nCleaned up: deleted the throwaway namespace ${namespace}.`);
  }
  cluster.close();
  if (restored.phase !== "Completed" || result.phase !== "Completed") process.exitCode = 1;
} finally {
  await supervisor?.stop();
}
