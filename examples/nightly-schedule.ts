// A nightly backup of one namespace, as code: a runner script, and a script you can run yourself.
//
//   npx tsx examples/nightly-schedule.ts            # stays in the foreground, backing up at 02:00 Berlin time
//   npx tsx examples/nightly-schedule.ts --now      # one backup now, then exit
//   stowage schedule get --scripts examples/nightly-schedule.ts   # the next runs, without running anything
//
// In the cluster, put it into the runner's scripts ConfigMap (runner/deploy/scripts.yaml): the runner
// loads it, runs each tick once across its replicas and garbage-collects expired backups.
// SHOP_NAMESPACE picks the namespace (default "shop"); the store is STOWAGE_STORE (default
// ./stowage-data, or s3://bucket/prefix), the cluster $KUBECONFIG or the in-cluster service account.
import { connect, schedule, scheduledBackup, storeFromEnv } from "stowage";

const namespace = process.env.SHOP_NAMESPACE ?? "shop";
const cluster = await connect();

const nightly = schedule({
  name: `${namespace}-nightly`,
  cron: "0 2 * * *",
  timezone: "Europe/Berlin", // DST handled: 02:00 local all year
  // backups are named <schedule>-<yyyyMMddHHmmss> and labelled velero.io/schedule-name, as Velero does,
  // so `stowage restore create --from-schedule shop-nightly` (and Velero's) finds the newest one
  run: scheduledBackup({ cluster, store: storeFromEnv(), includedNamespaces: [namespace], ttl: "168h" }),
  onEvent: (event) => {
    if (event.type === "finished") {
      const { outcome, items, durationMs, error } = event.record;
      console.log(
        `${nightly.name}: ${outcome}${items === undefined ? "" : `, ${items} items`} in ${durationMs} ms${error ? `: ${error}` : ""}`,
      );
    }
  },
});

if (process.argv.includes("--now")) {
  const record = await nightly.trigger();
  await nightly.stop();
  cluster.close();
  process.exitCode = record?.outcome === "succeeded" ? 0 : 1;
}
