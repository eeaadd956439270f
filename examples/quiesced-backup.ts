// Back up a namespace with its writer stopped: a Deployment scaled to 0 while the backup runs, and scaled
// back afterwards whatever happened.
//
//   npx tsx examples/quiesced-backup.ts shop worker
//
// `hooks.before` remembers the Deployment's replicas, scales it to 0 and waits until its pods are gone;
// if that fails, it scales back itself and nothing is backed up. `hooks.after` scales it back after a Completed, PartiallyFailed,
// failed or aborted backup alike (Ctrl-C aborts the backup; `after` still runs). An item action writes
// the remembered replicas into the backed-up Deployment, so a restore brings it back running, not at 0.
// The store is STOWAGE_STORE (default ./stowage-data, or s3://bucket/prefix), the cluster $KUBECONFIG.
import { setTimeout as sleep } from "node:timers/promises";
import { type BackupItemAction, backup, type Cluster, connect, storeFromEnv } from "stowage";

const [namespace, deployment] = process.argv.slice(2);
if (!namespace || !deployment) {
  console.error("usage: quiesced-backup.ts NAMESPACE DEPLOYMENT");
  process.exit(2);
}
const cluster = await connect();
const controller = new AbortController();
process.once("SIGINT", () => controller.abort(new Error("interrupted (SIGINT)")));

interface DeploymentState {
  readonly metadata?: { readonly generation?: number };
  readonly spec?: { readonly replicas?: number };
  readonly status?: { readonly observedGeneration?: number; readonly replicas?: number };
}
const read = async (c: Cluster, signal: AbortSignal): Promise<DeploymentState> =>
  (await c.get("deployments.apps", deployment, { namespace, signal })) as DeploymentState;
const scale = (c: Cluster, replicas: number, signal: AbortSignal) =>
  c.patch("deployments.apps", deployment, { spec: { replicas } }, { namespace, signal });

let replicas: number | undefined;

/** The backed-up Deployment keeps the replicas it had before the backup scaled it down. */
const keepReplicas: BackupItemAction = {
  name: "example.io/keep-replicas",
  appliesTo: { resources: ["deployments.apps"], namespaces: [namespace] },
  execute: ({ item }) =>
    item.metadata?.name === deployment && replicas !== undefined
      ? { item: { ...item, spec: { ...(item.spec as object), replicas } } }
      : { item },
};

const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const result = await backup({
  cluster,
  store: storeFromEnv(),
  name: `${namespace}-quiesced-${stamp}`,
  includedNamespaces: [namespace],
  actions: [keepReplicas],
  signal: controller.signal,
  hooks: {
    before: async ({ cluster: c, signal }) => {
      replicas = (await read(c, signal)).spec?.replicas ?? 1;
      await scale(c, 0, signal);
      try {
        // quiet once the controller has seen the change and no pod of it is left
        for (;;) {
          const now = await read(c, signal);
          const seen = (now.status?.observedGeneration ?? 0) >= (now.metadata?.generation ?? 0);
          if (seen && !now.status?.replicas) break;
          await sleep(500, undefined, { signal });
        }
      } catch (error) {
        // `after` runs only once `before` succeeded: a `before` that fails half-way undoes its own part
        await scale(c, replicas, AbortSignal.timeout(30_000));
        replicas = undefined;
        throw error;
      }
      console.log(`${namespace}/${deployment}: scaled from ${replicas} to 0 for the backup`);
    },
    after: async ({ cluster: c, signal, error }) => {
      if (replicas === undefined) return;
      await scale(c, replicas, signal);
      console.log(
        `${namespace}/${deployment}: scaled back to ${replicas}${error ? " (the backup failed)" : ""}`,
      );
    },
  },
});
console.log(`${result.name}: ${result.phase}, ${result.counts.itemsBackedUp} items`);
cluster.close();
process.exitCode = result.phase === "Completed" ? 0 : 1;
