import { checkBackupFilters, type ResolvedFilters, selectForCollection } from "../filters/index.ts";
import type { Cluster } from "../kube/client.ts";
import type { Discovery } from "../kube/discovery.ts";
import { CRD_GROUP_RESOURCE } from "../kube/group-resources.ts";
import type { BackupOptions } from "./options.ts";
import type { CollectionPlan } from "./plan.ts";

const list = (value: readonly string[] | undefined) => (value && value.length > 0 ? [...value] : undefined);

/** Validates the filter options against discovery; appends problems, returns the resolved filters. */
export const checkFilters = (
  discovery: Discovery,
  options: BackupOptions,
  problems: string[],
): ResolvedFilters => {
  const checked = checkBackupFilters(discovery, options);
  problems.push(...checked.problems);
  return checked.value;
};

/** The filter fields as they are recorded in velero-backup.json's spec. */
export const specFilterFields = (
  options: BackupOptions,
  filters: ResolvedFilters,
): Record<string, unknown> => ({
  includedNamespaces: list(options.includedNamespaces) ?? ["*"],
  excludedNamespaces: list(options.excludedNamespaces),
  includedResources: list(options.includedResources),
  excludedResources: list(options.excludedResources),
  includedClusterScopedResources: list(options.includedClusterScopedResources),
  excludedClusterScopedResources: list(options.excludedClusterScopedResources),
  includedNamespaceScopedResources: list(options.includedNamespaceScopedResources),
  excludedNamespaceScopedResources: list(options.excludedNamespaceScopedResources),
  includeClusterResources: options.includeClusterResources,
  labelSelector: filters.labels.spec.labelSelector,
  orLabelSelectors: filters.labels.spec.orLabelSelectors,
});

/** Decides what to collect from the resolved filters, discovery and the live namespaces. */
export const buildCollectionPlan = async (deps: {
  cluster: Cluster;
  discovery: Discovery;
  filters: ResolvedFilters;
  options: BackupOptions;
  signal: AbortSignal;
}): Promise<CollectionPlan> => {
  const { options, discovery, cluster, filters } = deps;
  const namespaceObjects = await cluster.list("namespaces", { signal: deps.signal });
  const live = namespaceObjects.map((n) => n.metadata?.name ?? "");
  const expansion = filters.namespaces.isEverything() ? undefined : filters.namespaces.expand(live);
  const selectors = filters.labels.queries.length > 0 ? [...filters.labels.queries] : [undefined];
  const resources = selectForCollection(discovery, filters.resources).filter(
    (r) => r.groupResource !== "namespaces",
  );
  const named = [
    ...(options.includedResources ?? []),
    ...(options.excludedResources ?? []),
    ...(options.includedClusterScopedResources ?? []),
    ...(options.excludedClusterScopedResources ?? []),
  ];
  const crdExplicit = named.some((n) => discovery.find(n)?.groupResource === CRD_GROUP_RESOURCE);
  const namespacesResource = discovery.forGroupResource("namespaces");
  return {
    discovery,
    resources,
    namespaces: expansion?.namespaces,
    namespaceObjects,
    selectors,
    includesNamespace: (ns) => ns === undefined || filters.namespaces.shouldInclude(ns),
    includesResource: (resource, viaAction) =>
      filters.resources.includeResource(resource, { viaAction }).include,
    addCrds: !crdExplicit,
    writeNamespaces:
      namespacesResource !== undefined &&
      filters.resources.includeResource(namespacesResource, { viaAction: true }).include,
    namespaceObjectsByFilter: filters.labels.isEverything() || !filters.namespaces.isEverything(),
    missingNamespaces: expansion?.missing ?? [],
    warnings: filters.warnings,
  };
};
