/**
 * The resources a backup LISTs, in Velero's order (`pkg/discovery/helper.go`, `pkg/backup/item_collector.go`,
 * `pkg/backup/backup.go cohabitatingResources`).
 */
import type { ApiResource, Discovery } from "../kube/discovery.ts";
import type { ResourceFilter } from "./scope.ts";

/** Verbs a resource must support to be backed up (and restored). */
export const REQUIRED_VERBS: readonly string[] = Object.freeze(["list", "create", "get", "delete"]);

/** Core-group resources that go first, in this order. */
const CORE_FIRST = ["pods", "persistentvolumeclaims", "persistentvolumes"];

/**
 * Resources served by more than one group; only the first one seen (in collection order) is listed.
 * With `extensions` moved last and the core group first: `apps` and `networking.k8s.io` win over
 * `extensions`, core `events` wins over `events.k8s.io`.
 */
export const COHABITING_RESOURCES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  deployments: ["extensions", "apps"],
  daemonsets: ["extensions", "apps"],
  replicasets: ["extensions", "apps"],
  networkpolicies: ["extensions", "networking.k8s.io"],
  events: ["", "events.k8s.io"],
});

/** Options for {@link selectForCollection}. */
export interface CollectionOptions {
  /** Called for each discovered resource that is not listed, with the reason (for the backup log). @default none */
  readonly onSkip?: ((resource: ApiResource, reason: string) => void) | undefined;
}

const rank = (r: ApiResource) => {
  const i = CORE_FIRST.indexOf(r.resource);
  return i < 0 ? CORE_FIRST.length : i;
};

/**
 * Orders discovery's preferred resources the way Velero walks them: groups in discovery order with
 * `extensions` last; inside the core group `pods`, `persistentvolumeclaims`, `persistentvolumes`, then
 * the rest in discovery order. No filtering.
 */
export const collectionOrder = (discovery: Discovery): ApiResource[] => {
  const all = discovery.preferredResources().filter((r) => !r.resource.includes("/"));
  const groups = [...new Set(all.map((r) => r.group))];
  const ordered = [...groups.filter((g) => g !== "extensions"), ...groups.filter((g) => g === "extensions")];
  return ordered.flatMap((group) => {
    const members = all.filter((r) => r.group === group);
    // Array.prototype.sort is stable, as Go's sort.SliceStable.
    return group === "" ? members.sort((a, b) => rank(a) - rank(b)) : members;
  });
};

/**
 * The resources to LIST for a backup, in Velero's order: {@link collectionOrder}, keeping those that
 * support all of list/create/get/delete and that the filter takes (`viaAction: false`), and listing a
 * cohabiting resource only from the first group that passes.
 */
export const selectForCollection = (
  discovery: Discovery,
  filter: ResourceFilter,
  options: CollectionOptions = {},
): ApiResource[] => {
  const skip = options.onSkip ?? (() => {});
  const seenCohabitants = new Set<string>();
  const out: ApiResource[] = [];
  for (const r of collectionOrder(discovery)) {
    const missing = REQUIRED_VERBS.filter((v) => !r.verbs.includes(v));
    if (missing.length > 0) {
      skip(
        r,
        `${r.groupResource} does not support ${missing.join(", ")}; only resources supporting list, create, get and delete are backed up`,
      );
      continue;
    }
    const decision = filter.includeResource(r, { viaAction: false });
    if (!decision.include) {
      skip(r, decision.reason);
      continue;
    }
    if (COHABITING_RESOURCES[r.resource]?.includes(r.group)) {
      if (seenCohabitants.has(r.resource)) {
        skip(r, `${r.groupResource} cohabits with another group's ${r.resource}, which is already listed`);
        continue;
      }
      seenCohabitants.add(r.resource);
    }
    out.push(r);
  }
  return out;
};
