import type { ExtractedArchive } from "../format/extracted-archive.ts";
import type { Discovery } from "../kube/discovery.ts";
import { CRD_GROUP_RESOURCE } from "../kube/group-resources.ts";
import { createLimiter } from "../kube/limiter.ts";
import type { ItemRef } from "./item-restorer.ts";
import { orderGroupResources, type RestorePriorities } from "./ordering.ts";

/** The backed-up items of one group-resource: cluster-scoped ones, then namespace by namespace. */
const refsOf = (archive: ExtractedArchive, groupResource: string): ItemRef[] => {
  const entry = archive.index.resources.get(groupResource);
  if (!entry) return [];
  return [
    ...entry.cluster.map((name) => ({ groupResource, name })),
    ...[...entry.namespaced].flatMap(([namespace, names]) =>
      names.map((name) => ({ groupResource, namespace, name })),
    ),
  ];
};

/**
 * Restores every item of the archive in Velero's order (`priorities`, @default Velero's), the items of
 * one group-resource at once (at most `concurrency`). CRDs go first, in their own pass; discovery is
 * then refreshed (`refreshDiscovery`) so their custom resources resolve. `restoreItem` ends a failed item
 * itself; its rejection (an abort) stops the restore once the group-resource's items have settled.
 */
export const restoreInOrder = async (deps: {
  readonly archive: ExtractedArchive;
  readonly discovery: Discovery;
  readonly priorities: RestorePriorities | undefined;
  readonly concurrency: number;
  restoreItem(ref: ItemRef): Promise<void>;
  refreshDiscovery(): Promise<void>;
}): Promise<void> => {
  const limiter = createLimiter(deps.concurrency);
  const order = orderGroupResources(deps.archive.index.resources.keys(), deps.discovery, deps.priorities);
  const passes = order.includes(CRD_GROUP_RESOURCE)
    ? [[CRD_GROUP_RESOURCE], order.filter((gr) => gr !== CRD_GROUP_RESOURCE)]
    : [order];
  for (const pass of passes) {
    for (const gr of pass) {
      // every item settles before a rejection (an abort) surfaces: none is left running behind it
      const outcomes = await Promise.allSettled(
        refsOf(deps.archive, gr).map((ref) => limiter.run(() => deps.restoreItem(ref))),
      );
      const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (rejected) throw rejected.reason;
    }
    if (pass[0] === CRD_GROUP_RESOURCE && pass.length === 1) await deps.refreshDiscovery();
  }
};
