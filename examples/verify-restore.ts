// A backup you never restored is a hope, not a backup. Every morning, restore last night's backup of the
// shop into a scratch namespace, check it, and delete the scratch namespace again.
//
//   npx tsx examples/verify-restore.ts            # stays in the foreground, verifying at 06:00 Berlin time
//   npx tsx examples/verify-restore.ts --now      # verifies the newest nightly backup once now, then exits
//
// It restores the newest Completed backup of the schedule "<SHOP_NAMESPACE>-nightly" (what
// nightly-schedule.ts takes) into "<SHOP_NAMESPACE>-verify", leaving cluster-scoped objects alone. The
// restore's `verify` checks that every object the restore created is there, and that what the shop
// cannot run without (VERIFY_EXPECT, e.g. "deployments.apps/web,configmaps/settings") was in the
// backup; each problem is an error of the restore, so the run ends partially_failed and shows in the
// runner's metrics. The run-level hooks clear a scratch namespace a crashed run left behind (`before`)
// and delete it whatever happened (`after`). The store is STOWAGE_STORE (default ./stowage-data, or
// s3://bucket/prefix), the cluster $KUBECONFIG or the in-cluster service account.
import {
  type Cluster,
  connect,
  isNotFound,
  type RestoreResult,
  restore,
  schedule,
  storeFromEnv,
} from "stowage";

const namespace = process.env.SHOP_NAMESPACE ?? "shop";
const scratch = `${namespace}-verify`;
const expected = (process.env.VERIFY_EXPECT ?? "")
  .split(",")
  .map((s) => s.trim())
  .filter(Boolean)
  .map((ref) => {
    const [resource, name] = ref.split("/");
    if (!resource || !name) throw new Error(`VERIFY_EXPECT: "${ref}" is not resource/name`);
    return { resource, name };
  });
const cluster = await connect();

/** Deletes the scratch namespace and waits until it is gone (the namespace controller empties it first). */
const removeScratch = async (c: Cluster, signal: AbortSignal): Promise<void> => {
  await c.delete("namespaces", scratch, { signal }).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
  while (await c.tryGet("namespaces", scratch, { signal })) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    signal.throwIfAborted();
  }
};

const verifyRestore = schedule({
  name: `${namespace}-verify-restore`,
  cron: "0 6 * * *",
  timezone: "Europe/Berlin",
  run: async ({ signal }): Promise<RestoreResult> => {
    const result = await restore({
      cluster,
      store: storeFromEnv(),
      scheduleName: `${namespace}-nightly`,
      includedNamespaces: [namespace],
      namespaceMapping: { [namespace]: scratch },
      includeClusterResources: false, // a check must not touch what the real namespace uses
      signal,
      hooks: {
        before: ({ cluster: c, signal }) => removeScratch(c, signal),
        after: ({ cluster: c, signal }) => removeScratch(c, signal),
      },
      verify: async ({ cluster: c, result, signal }) => {
        const problems: string[] = [];
        for (const entry of result.plan) {
          if (entry.namespace !== scratch || (entry.action !== "create" && entry.action !== "update"))
            continue;
          if (!(await c.tryGet(entry.resource, entry.name, { namespace: scratch, signal }))) {
            problems.push(`${entry.resource} ${entry.name} was restored but is not there`);
          }
        }
        for (const { resource, name } of expected) {
          if (!(await c.tryGet(resource, name, { namespace: scratch, signal }))) {
            problems.push(`${resource} ${name} is not in the backup`);
          }
        }
        return problems;
      },
    });
    const verdict = result.verify?.ok ? "verified" : `NOT verified: ${result.verify?.problems.join("; ")}`;
    console.log(
      `${verifyRestore.name}: ${result.backupName} restored into ${scratch} (${result.phase}, ${result.counts.itemsRestored} items), ${verdict}`,
    );
    return result;
  },
  onEvent: (event) => {
    if (event.type === "finished" && event.record.error) {
      console.log(`${verifyRestore.name}: ${event.record.outcome}: ${event.record.error}`);
    }
  },
});

if (process.argv.includes("--now")) {
  const record = await verifyRestore.trigger();
  await verifyRestore.stop();
  cluster.close();
  process.exitCode = record?.outcome === "succeeded" ? 0 : 1;
}
