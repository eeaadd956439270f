import type { Cluster } from "../kube/client.ts";
import type { ApiResource } from "../kube/discovery.ts";
import { CRD_GROUP_RESOURCE } from "../kube/group-resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { collect } from "./collector.ts";
import type { ItemBackupper } from "./item-backupper.ts";
import type { CollectionPlan } from "./plan.ts";

/** What {@link collectAll} needs: the plan, the item pipeline, and how to list. */
export interface CollectAllDeps {
  readonly cluster: Cluster;
  readonly plan: CollectionPlan;
  readonly items: ItemBackupper;
  readonly log: RunLog;
  readonly signal: AbortSignal;
  /** Concurrent LISTs. */
  readonly concurrency: number;
  /** LIST page size. */
  readonly pageSize: number;
  /** Namespace globs excluded, for the log line. */
  readonly excludedNamespaces: readonly string[];
  readonly orderedResources: Readonly<Record<string, string>>;
  /**
   * Back up every pod before anything else is listed: then a pod's pre hooks have run before its PVC
   * and PV are reached by their own LISTs (and snapshotted), as Velero's item blocks ensure.
   * @default false
   */
  readonly podsFirst?: boolean;
  /** Called for every item found (plan items and the namespaces and CRDs added after them). */
  onFound(): void;
  /** Called when a resource's LIST has finished. */
  onListed(): void;
}

/**
 * Backs up everything the plan selects: every listed item, then — Velero's way — the Namespace objects
 * of namespaces holding backed-up items (and those the filters include), and the CRDs of backed-up
 * custom resources (unless CRDs were named in the filters).
 */
export const collectAll = async (deps: CollectAllDeps): Promise<void> => {
  const { cluster, plan, items, log, signal } = deps;
  log.info(`Including namespaces: ${plan.namespaces?.join(", ") ?? "*"}`);
  log.info(`Excluding namespaces: ${deps.excludedNamespaces.join(", ") || "<none>"}`);
  for (const warning of plan.warnings) log.warn(warning, { scope: "velero" });
  for (const ns of plan.missingNamespaces)
    log.error(`included namespace "${ns}" does not exist in the cluster`, { scope: "velero" });
  const pass = (resources: CollectionPlan["resources"], orderedResources: Readonly<Record<string, string>>) =>
    collect({
      cluster,
      plan: { ...plan, resources },
      concurrency: deps.concurrency,
      pageSize: deps.pageSize,
      signal,
      orderedResources,
      onItem: (resource, item) => {
        deps.onFound();
        return items.backupItem(resource, item, false);
      },
      onListed: (resource, count) => {
        log.info(`Listed ${count} items`, { resource: resource.groupResource });
        deps.onListed();
      },
      onResourceError: (resource, namespace, error) =>
        log.error("error listing items", {
          resource: resource.groupResource,
          namespace,
          error: (error as Error).message,
        }),
    });
  const isPods = (resource: ApiResource) => resource.groupResource === "pods";
  if (deps.podsFirst && plan.resources.some(isPods)) {
    await pass(plan.resources.filter(isPods), deps.orderedResources);
    await pass(
      plan.resources.filter((resource) => !isPods(resource)),
      {},
    );
  } else {
    await pass(plan.resources, deps.orderedResources);
  }
  const { discovery } = plan;
  if (plan.writeNamespaces) {
    // namespaces holding backed-up items, and those the filters include (when no selector narrows them)
    await addFromList(deps, discovery.forGroupResource("namespaces"), plan.namespaceObjects, (ns) => {
      const name = ns.metadata?.name ?? "";
      const active = (ns.status as { phase?: string } | undefined)?.phase === "Active";
      return (
        items.namespacesSeen.has(name) ||
        (plan.namespaceObjectsByFilter && plan.includesNamespace(name) && active)
      );
    });
  }
  if (plan.addCrds) {
    const crds = discovery.forGroupResource(CRD_GROUP_RESOURCE);
    const listed = crds ? await cluster.list(crds, { signal }) : [];
    await addFromList(deps, crds, listed, (crd) => {
      const spec = crd.spec as { group?: string; names?: { plural?: string } } | undefined;
      return items.backedUpResources.has(`${spec?.names?.plural}.${spec?.group}`);
    });
  }
};

/**
 * Backs up, as additional items, the `listed` objects of `resource` that `wanted` selects: Velero's
 * namespace objects (nsTracker) and the CRDs of backed-up custom resources.
 */
const addFromList = async (
  deps: Pick<CollectAllDeps, "items" | "onFound">,
  resource: ApiResource | undefined,
  listed: readonly KubeObject[],
  wanted: (item: KubeObject) => boolean,
) => {
  if (!resource) return;
  for (const item of listed) {
    if (!wanted(item)) continue;
    deps.onFound();
    await deps.items.backupItem(resource, item, true);
  }
};
