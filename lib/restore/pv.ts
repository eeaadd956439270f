import type { KubeObject } from "../kube/types.ts";

/** What happens to a backed-up PersistentVolume (Velero's decision table, without snapshots yet). */
export type PvDecision =
  | { readonly restore: true; readonly reason: string }
  | { readonly restore: false; readonly reason: string };

/**
 * Velero §5.7 without a snapshotter: a PV with reclaim policy `Delete` is left to dynamic provisioning
 * (its claim loses `spec.volumeName`); any other policy is restored as is.
 */
export const decidePv = (pv: KubeObject): PvDecision => {
  const policy = (pv.spec as { persistentVolumeReclaimPolicy?: string } | undefined)
    ?.persistentVolumeReclaimPolicy;
  if (policy === "Delete") {
    return {
      restore: false,
      reason: "reclaim policy Delete and no snapshot: its claim is re-provisioned dynamically",
    };
  }
  return { restore: true, reason: `reclaim policy ${policy ?? "Retain"}: restored as is` };
};

const BINDING_ANNOTATIONS = ["pv.kubernetes.io/bind-completed", "pv.kubernetes.io/bound-by-controller"];

/** Resets binding info and remaps the claimRef namespace (`resetVolumeBindingInfo`). */
export const preparePv = (pv: KubeObject, namespaceMapping: Readonly<Record<string, string>>): KubeObject => {
  const copy = structuredClone(pv);
  const annotations = { ...copy.metadata?.annotations };
  for (const key of BINDING_ANNOTATIONS) delete annotations[key];
  copy.metadata = { ...copy.metadata, annotations };
  const spec = (copy.spec ?? {}) as { claimRef?: Record<string, unknown> };
  if (spec.claimRef) {
    const claimRef = { ...spec.claimRef };
    delete claimRef.uid;
    delete claimRef.resourceVersion;
    const ns = claimRef.namespace as string | undefined;
    if (ns && namespaceMapping[ns]) claimRef.namespace = namespaceMapping[ns];
    spec.claimRef = claimRef;
    copy.spec = spec;
  }
  return copy;
};
