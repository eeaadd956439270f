// Back up one namespace into a local directory (or S3) and print what happened.
//
//   npx tsx examples/backup-namespace.ts shop            # into ./stowage-data
//   STOWAGE_S3_BUCKET=backups npx tsx examples/backup-namespace.ts shop
//
// Uses $KUBECONFIG / ~/.kube/config / the in-cluster service account, like kubectl.
import { backup, connect, fsStore, s3Store } from "stowage";

const namespace = process.argv[2] ?? "default";
const cluster = await connect();
const store = process.env.STOWAGE_S3_BUCKET
  ? s3Store({ bucket: process.env.STOWAGE_S3_BUCKET, prefix: process.env.STOWAGE_S3_PREFIX ?? "stowage" })
  : fsStore("./stowage-data");

const stamp = new Date()
  .toISOString()
  .replace(/[-:TZ.]/g, "")
  .slice(0, 14);
const result = await backup({
  cluster,
  store,
  name: `${namespace}-${stamp}`,
  includedNamespaces: [namespace],
  ttl: "720h",
});

console.log(
  `${result.name}: ${result.phase}, ${result.counts.itemsBackedUp} items in ${result.durationMs} ms`,
);
for (const [ns, messages] of Object.entries(result.errors.namespaces ?? {})) {
  for (const message of messages) console.log(`  error in ${ns}: ${message}`);
}
cluster.close();
process.exitCode = result.phase === "Completed" ? 0 : 1;
