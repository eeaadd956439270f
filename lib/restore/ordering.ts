import type { Discovery } from "../kube/discovery.ts";

/**
 * Velero's default restore priorities (`pkg/cmd/server/config/config.go`): these first, in order, then
 * every other resource of the backup alphabetically, then the low-priority list. Note Velero's
 * singular `volumesnapshotclass…` typo: it still resolves through discovery.
 */
export const DEFAULT_HIGH_PRIORITIES: readonly string[] = [
  "customresourcedefinitions",
  "namespaces",
  "storageclasses",
  "volumesnapshotclass.snapshot.storage.k8s.io",
  "volumesnapshotcontents.snapshot.storage.k8s.io",
  "volumesnapshots.snapshot.storage.k8s.io",
  "datauploads.velero.io",
  "persistentvolumes",
  "persistentvolumeclaims",
  "clusterroles",
  "roles",
  "serviceaccounts",
  "clusterrolebindings",
  "rolebindings",
  "secrets",
  "configmaps",
  "limitranges",
  "priorityclasses",
  "pods",
  "replicasets.apps",
  "clusterclasses.cluster.x-k8s.io",
  "endpoints",
  "services",
];

/** Restored after everything else. */
export const DEFAULT_LOW_PRIORITIES: readonly string[] = [
  "clusterbootstraps.run.tanzu.vmware.com",
  "clusters.cluster.x-k8s.io",
  "clusterresourcesets.addons.cluster.x-k8s.io",
  "apps.kappctrl.k14s.io",
  "packageinstalls.packaging.carvel.dev",
];

/** A per-restore override of the order: `high` first, `low` last (Velero's `-` separated list). */
export interface RestorePriorities {
  readonly high: readonly string[];
  readonly low?: readonly string[];
}

/**
 * Parses Velero's `--restore-resource-priorities` form: a comma list in which a `-` element separates
 * the high priorities from the low ones.
 */
export const parsePriorities = (text: string): RestorePriorities => {
  const parts = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const dash = parts.indexOf("-");
  return dash < 0 ? { high: parts } : { high: parts.slice(0, dash), low: parts.slice(dash + 1) };
};

const resolveName = (discovery: Discovery, name: string): string => {
  const found = discovery.find(name);
  if (found) return found.groupResource;
  // not served (yet): a CRD-backed resource restored in this run, or a typo; compare literally
  return name.includes(".") ? name : name;
};

/**
 * The order in which the backup's group-resources are restored: the high list, the rest alphabetically
 * by group-resource string, then the low list. Each entry is one group, restored in parallel within.
 */
export const orderGroupResources = (
  inBackup: Iterable<string>,
  discovery: Discovery,
  priorities: RestorePriorities = { high: DEFAULT_HIGH_PRIORITIES, low: DEFAULT_LOW_PRIORITIES },
): string[] => {
  const present = new Set(inBackup);
  const high = priorities.high.map((n) => resolveName(discovery, n));
  const low = (priorities.low ?? []).map((n) => resolveName(discovery, n));
  const placed = new Set([...high, ...low]);
  const middle = [...present].filter((gr) => !placed.has(gr)).sort();
  const out: string[] = [];
  for (const gr of [...high, ...middle, ...low]) {
    if (present.has(gr) && !out.includes(gr)) out.push(gr);
  }
  return out;
};
