// A restore item action that moves volumes to another storage class on the way back: PVCs, PVs and
// the volumeClaimTemplates of StatefulSets. The usual reason is a restore into a cluster whose
// classes differ ("gp2" → "gp3", "standard" → "premium-rwo"). Velero does this through a ConfigMap;
// here the mapping is an argument.
//
// Use it from a restore script:
//   import { changeStorageClass } from "./change-storage-class-action.ts";
//   await restore({ cluster, store, backupName, actions: [changeStorageClass({ standard: "fast" })] });
//
// Its unit test (examples/change-storage-class-action.test.ts) runs it on items of a real backup.
import type { KubeObject, RestoreItemAction } from "stowage";

type Mapping = Readonly<Record<string, string>>;

interface ClaimSpec {
  storageClassName?: string;
}

/** The claim template with its class mapped, or the same object when the mapping does not cover it. */
const mapClaim = <T extends { spec?: ClaimSpec }>(claim: T, mapping: Mapping, changed: string[]): T => {
  const from = claim.spec?.storageClassName;
  const to = from === undefined ? undefined : mapping[from];
  if (from === undefined || to === undefined) return claim;
  changed.push(`${from} → ${to}`);
  return { ...claim, spec: { ...claim.spec, storageClassName: to } };
};

/** Maps `spec.storageClassName` of PVCs and PVs, and of StatefulSets' volumeClaimTemplates. */
export const changeStorageClass = (mapping: Mapping): RestoreItemAction => ({
  name: "example.io/change-storage-class",
  appliesTo: { resources: ["persistentvolumeclaims", "persistentvolumes", "statefulsets.apps"] },
  execute: ({ item, log }) => {
    const changed: string[] = [];
    let result: KubeObject;
    if (item.kind === "StatefulSet") {
      const spec = (item.spec ?? {}) as { volumeClaimTemplates?: { spec?: ClaimSpec }[] };
      const templates = spec.volumeClaimTemplates?.map((t) => mapClaim(t, mapping, changed));
      result = templates ? { ...item, spec: { ...spec, volumeClaimTemplates: templates } } : item;
    } else {
      result = mapClaim(item as KubeObject & { spec?: ClaimSpec }, mapping, changed);
    }
    if (changed.length === 0) return; // not a class we map: restore the item as it is
    log.info(`storage class ${changed.join(", ")}`);
    return { item: result };
  },
});
