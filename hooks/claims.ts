/**
 * What the claim-related built-ins share: the claims a pod's volumes use and the volume a claim is bound
 * to, as additional items.
 */
import type { ResourceIdentifier, ResourceSelector } from "../lib/actions/index.ts";
import { child, list, text } from "./util.ts";

/** The selector of the actions on PersistentVolumeClaims. */
export const CLAIMS: ResourceSelector = { resources: ["persistentvolumeclaims"] };

/** `spec.volumeName` of a claim whose `status.phase` is `Bound`; undefined for any other claim. */
export const boundVolumeName = (claim: unknown): string | undefined => {
  const volumeName = text(child(claim, "spec"), "volumeName");
  return volumeName && text(child(claim, "status"), "phase") === "Bound" ? volumeName : undefined;
};

/** The PersistentVolume `name`, as an additional item. */
export const volumeItem = (name: string): ResourceIdentifier => ({ resource: "persistentvolumes", name });

/** The claim names of a pod's `persistentVolumeClaim` volumes, in the pod's order. */
export const podClaimNames = (pod: unknown): string[] =>
  list(child(pod, "spec"), "volumes").flatMap((volume) => {
    const claim = text(child(volume, "persistentVolumeClaim"), "claimName");
    return claim ? [claim] : [];
  });

/** The claim `name` in `namespace` (none: as the cluster-scoped lookup Velero does), as an additional item. */
export const claimItem = (namespace: string | undefined, name: string): ResourceIdentifier =>
  namespace
    ? { resource: "persistentvolumeclaims", namespace, name }
    : { resource: "persistentvolumeclaims", name };
