// The 3 a.m. restore: put a namespace back from its newest backup, next to the original.
//
//   npx tsx examples/restore-into-namespace.ts shop-nightly-20261120020000 shop shop-restored
//   npx tsx examples/restore-into-namespace.ts shop-nightly-20261120020000 shop shop-restored --dry-run
//
// Reads the store from STOWAGE_STORE (a directory; default ./stowage-data) and the cluster from
// $KUBECONFIG / ~/.kube/config / the in-cluster service account.
import { connect, fsStore, restore } from "stowage";

const [backupName, from, to] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (!backupName || !from || !to) {
  console.error("usage: restore-into-namespace.ts BACKUP FROM-NAMESPACE TO-NAMESPACE [--dry-run]");
  process.exit(2);
}
const dryRun = process.argv.includes("--dry-run");
const cluster = await connect();
const store = fsStore(process.env.STOWAGE_STORE ?? "./stowage-data");

const result = await restore({
  cluster,
  store,
  backupName,
  includedNamespaces: [from],
  namespaceMapping: { [from]: to },
  dryRun,
});
for (const entry of result.plan) {
  if (entry.action === "skip" && entry.reason?.startsWith("filtered")) continue;
  console.log(
    `${entry.action.padEnd(8)} ${entry.resource} ${entry.namespace ?? ""}/${entry.name}${entry.reason ? `  (${entry.reason})` : ""}`,
  );
}
console.log(
  `${dryRun ? "plan" : result.phase}: ${result.counts.itemsRestored} items, ${result.counts.warnings} warnings, ${result.counts.errors} errors`,
);
cluster.close();
process.exitCode = result.phase === "Completed" ? 0 : 1;
