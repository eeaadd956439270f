// Move a namespace from one cluster to another: back it up from the source, restore it into the
// target (optionally under a new name), and report both halves. Both clusters must reach the store:
// use S3 (STOWAGE_STORE=s3://bucket/prefix) between real clusters; a directory works when this
// machine runs both halves.
//
//   SOURCE_KUBECONFIG=~/.kube/old TARGET_KUBECONFIG=~/.kube/new \
//   STOWAGE_STORE=s3://migrations/shop npx tsx examples/migrate-namespace.ts shop [shop-v2]
//
// Cluster-scoped objects the namespace needs (PVs of its claims, CRDs of its custom resources,
// ClusterRoleBindings of its service accounts) come along through the built-in item actions.
// Persistent volume data needs snapshots or file-system backups on top of this.
import { backup, connect, restore, storeFromEnv } from "stowage";

const [namespace = "", renamed] = process.argv.slice(2);
const sourceKubeconfig = process.env.SOURCE_KUBECONFIG;
const targetKubeconfig = process.env.TARGET_KUBECONFIG;
if (!namespace || !sourceKubeconfig || !targetKubeconfig) {
  console.error("usage: SOURCE_KUBECONFIG=… TARGET_KUBECONFIG=… migrate-namespace.ts NAMESPACE [NEW-NAME]");
  process.exit(2);
}
const newName = renamed ?? namespace;
const store = storeFromEnv();
const source = await connect({ kubeconfig: sourceKubeconfig });
const target = await connect({ kubeconfig: targetKubeconfig });
const name = `migrate-${namespace}-${new Date()
  .toISOString()
  .replace(/[-:TZ.]/g, "")
  .slice(0, 14)}`;

try {
  const saved = await backup({ cluster: source, store, name, includedNamespaces: [namespace], ttl: "72h" });
  console.log(`backup ${name} from ${source.server}: ${saved.phase}, ${saved.counts.itemsBackedUp} items`);
  if (saved.phase !== "Completed") {
    console.error("not restoring a backup that is not Completed: see `stowage backup logs` for why");
    process.exitCode = 1;
  } else {
    const restored = await restore({
      cluster: target,
      store,
      backupName: name,
      namespaceMapping: newName === namespace ? {} : { [namespace]: newName },
    });
    console.log(
      `restore into ${newName} on ${target.server}: ${restored.phase}, ${restored.counts.itemsRestored} items, ${restored.counts.warnings} warnings, ${restored.counts.errors} errors`,
    );
    for (const [ns, messages] of Object.entries(restored.errors.namespaces ?? {})) {
      for (const message of messages) console.error(`  error in ${ns}: ${message}`);
    }
    process.exitCode = restored.phase === "Completed" ? 0 : 1;
  }
} finally {
  source.close();
  target.close();
}
