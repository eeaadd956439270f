import type { KubeObject } from "../kube/types.ts";

/** What happens to a backed-up PersistentVolume (Velero's decision table, §5.7). */
export type PvDecision =
  | { readonly restore: true; readonly reason: string; readonly fromSnapshot?: boolean }
  | { readonly restore: false; readonly reason: string };

/** What the backup recorded about a PV's data (from `-volumeinfo.json.gz` and `-volumesnapshots.json.gz`). */
export interface PvVolumeFacts {
  /** The PV has an entry in the volume info; its `backupMethod` (undefined for a skipped volume). */
  readonly volumeInfo?: { readonly backupMethod?: string | undefined } | undefined;
  /** A native snapshot record names the PV. */
  readonly nativeSnapshot: boolean;
}

/**
 * Velero §5.7: the PV's volume-info entry decides (native snapshot: created from it; pod volume backup
 * or CSI snapshot: re-provisioned); without one, a native snapshot record does. Otherwise a PV with
 * reclaim policy `Delete` is left to dynamic provisioning (its claim loses `spec.volumeName`), and any
 * other policy is restored as is.
 */
export const decidePv = (pv: KubeObject, facts: PvVolumeFacts = { nativeSnapshot: false }): PvDecision => {
  const method = facts.volumeInfo
    ? facts.volumeInfo.backupMethod
    : facts.nativeSnapshot
      ? "NativeSnapshot"
      : undefined;
  if (method === "NativeSnapshot") {
    return { restore: true, fromSnapshot: true, reason: "has a native snapshot: restored from it" };
  }
  if (method === "PodVolumeBackup" || method === "CSISnapshot") {
    return { restore: false, reason: `backed up by ${method}: its claim is re-provisioned dynamically` };
  }
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
