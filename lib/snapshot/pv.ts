/** Reading and rewriting the parts of a PersistentVolume that snapshotters care about. */
import type { KubeObject } from "../kube/types.ts";
import { isRecord } from "../util/is-record.ts";

type Fields = Record<string, unknown>;

const record = (value: unknown): Fields | undefined => (isRecord(value) ? value : undefined);

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** `spec.<source>` of a PV (`csi`, `awsElasticBlockStore`, `hostPath`, …), when present. */
export const volumeSource = (pv: KubeObject, source: string): Fields | undefined =>
  record(record(pv.spec)?.[source]);

/** A string field of a PV's volume source; `""` when absent. */
export const sourceField = (pv: KubeObject, source: string, field: string): string =>
  text(volumeSource(pv, source)?.[field]);

/** The CSI driver and handle of a CSI PV. */
export const csiOf = (pv: KubeObject): { driver: string; volumeHandle: string } | undefined => {
  const csi = volumeSource(pv, "csi");
  return csi ? { driver: text(csi.driver), volumeHandle: text(csi.volumeHandle) } : undefined;
};

/** A deep copy of `pv` with `fields` merged into `spec.<source>`. */
export const withSourceFields = (
  pv: KubeObject,
  source: string,
  fields: Record<string, string>,
): KubeObject => {
  const copy = structuredClone(pv);
  const spec = { ...record(copy.spec) };
  spec[source] = { ...record(spec[source]), ...fields };
  copy.spec = spec;
  return copy;
};

const ZONE_LABEL = "topology.kubernetes.io/zone";
const ZONE_LABEL_DEPRECATED = "failure-domain.beta.kubernetes.io/zone";
const GKE_ZONE_KEY = "topology.gke.io/zone";
const AFFINITY_KEYS = new Set([
  "topology.ebs.csi.aws.com/zone",
  "topology.disk.csi.azure.com/zone",
  GKE_ZONE_KEY,
  "topology.manila.csi.openstack.org/zone",
  "topology.cinder.csi.openstack.org/zone",
  ZONE_LABEL,
  ZONE_LABEL_DEPRECATED,
]);

/**
 * The availability zone of a PV, as Velero finds it (`item_backupper.go`): the `topology.kubernetes.io/zone`
 * label, then `failure-domain.beta.kubernetes.io/zone`, then the node affinity's zone keys (several GKE
 * zones joined with `__`). `""` when none is found.
 */
export const volumeZone = (pv: KubeObject): string => {
  const labels = pv.metadata?.labels ?? {};
  if (ZONE_LABEL in labels) return labels[ZONE_LABEL] ?? "";
  if (ZONE_LABEL_DEPRECATED in labels) return labels[ZONE_LABEL_DEPRECATED] ?? "";
  const affinity = record(record(record(pv.spec)?.nodeAffinity)?.required);
  const terms = Array.isArray(affinity?.nodeSelectorTerms) ? (affinity.nodeSelectorTerms as unknown[]) : [];
  const gke: string[] = [];
  for (const term of terms) {
    const expressions = record(term)?.matchExpressions;
    if (!Array.isArray(expressions)) continue;
    for (const raw of expressions) {
      const exp = record(raw);
      const values = Array.isArray(exp?.values) ? (exp.values as unknown[]) : [];
      if (!exp || !AFFINITY_KEYS.has(text(exp.key)) || exp.operator !== "In" || values.length === 0) continue;
      if (exp.key === GKE_ZONE_KEY) gke.push(text(values[0]));
      else return text(values[0]);
    }
  }
  return gke.join("__");
};

/** The claim a PV is bound to, from `spec.claimRef`. */
export const claimOf = (pv: KubeObject): { namespace: string; name: string } | undefined => {
  const ref = record(record(pv.spec)?.claimRef);
  return ref && text(ref.name) ? { namespace: text(ref.namespace), name: text(ref.name) } : undefined;
};

/** `spec.persistentVolumeReclaimPolicy`, `""` when unset. */
export const reclaimPolicyOf = (pv: KubeObject): string =>
  text(record(pv.spec)?.persistentVolumeReclaimPolicy);
