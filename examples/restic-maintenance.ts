// Weekly restic maintenance, as code: deleting or expiring a backup forgets its pod volume snapshots,
// and this frees their data (`restic prune` in each namespace's repository, as Velero does every 7 days).
//
//   npx tsx examples/restic-maintenance.ts          # stays in the foreground, pruning Sundays at 04:00
//   npx tsx examples/restic-maintenance.ts --now    # prunes every repository once now, then exits
//
// In the cluster, put it into the runner's scripts ConfigMap next to your backup schedules; the runner
// image has restic. Prune locks a repository while it runs, so pick an hour without backups.
// STOWAGE_CREDENTIALS_NAMESPACE is where the repository key Secrets are (default "velero"); the store
// is STOWAGE_STORE (default ./stowage-data, or s3://bucket/prefix), the cluster $KUBECONFIG or in-cluster.
import { connect, pruneRepositories, schedule, storeFromEnv } from "stowage";

const cluster = await connect();
const credentialsNamespace = process.env.STOWAGE_CREDENTIALS_NAMESPACE || "velero";

const maintenance = schedule({
  name: "restic-maintenance",
  cron: "0 4 * * 0",
  run: async ({ signal }) => {
    const result = await pruneRepositories({
      cluster,
      store: storeFromEnv(),
      credentialsNamespace,
      signal,
      onPruned: (r) =>
        console.log(
          `${r.namespace}: pruned in ${r.durationMs} ms (${r.removed || "restic reported nothing"})`,
        ),
    });
    // one repository failing does not stop the others; the run fails so it shows in the metrics
    for (const e of result.errors) console.error(`${e.namespace}: not pruned: ${e.error}`);
    if (result.errors.length > 0) {
      throw new Error(`${result.errors.length} repositories could not be pruned`);
    }
    return result;
  },
});

if (process.argv.includes("--now")) {
  const record = await maintenance.trigger();
  await maintenance.stop();
  cluster.close();
  process.exitCode = record?.outcome === "succeeded" ? 0 : 1;
}
