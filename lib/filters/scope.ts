/**
 * Which resources a backup or restore takes: Velero's "old" filters (`includedResources`,
 * `excludedResources`, the `includeClusterResources` tri-state; `GlobalIncludesExcludes`) and "new"
 * v1.11+ scoped filters (`ScopeIncludesExcludes`), including the rules for cluster-scoped items that
 * actions return (PVC→PV, ServiceAccount→ClusterRoleBinding; `item_backupper.go itemInclusionChecks`).
 */
import type { ApiResource, Discovery } from "../kube/discovery.ts";
import type { Checked } from "./checked.ts";
import { valueOrThrow } from "./checked.ts";
import type { NamespaceFilter } from "./globs.ts";
import { isAlwaysRestored, isNeverRestored, NEVER_RESTORED_RESOURCES } from "./never-restored.ts";
import {
  checkResourceIncludesExcludes,
  type ResolvedResourceName,
  type ResourceIncludesExcludes,
} from "./resources.ts";

/** The resource fields of a Backup spec (a Restore has only the three old ones). */
export interface ResourceFilterSpec {
  /** Old filter: resources in any name form; `*` alone means all. @default [] (all) */
  readonly includedResources?: readonly string[] | undefined;
  /** Old filter: resources to leave out; `*` is not allowed. @default [] (none) */
  readonly excludedResources?: readonly string[] | undefined;
  /**
   * Old filter. `true`: every cluster-scoped resource. `false`: none at all (not even PVs of backed-up
   * PVCs, nor Namespace objects). Unset: cluster-scoped resources are listed only when every namespace is
   * included; otherwise they come in only when an action returns them (PVC→PV).
   * @default undefined
   */
  readonly includeClusterResources?: boolean | null | undefined;
  /** New filter: cluster-scoped resources to take; `*` alone means all. @default [] (see {@link ResourceFilter}) */
  readonly includedClusterScopedResources?: readonly string[] | undefined;
  /** New filter: cluster-scoped resources to leave out; `*` allowed alone. @default [] (none) */
  readonly excludedClusterScopedResources?: readonly string[] | undefined;
  /** New filter: namespace-scoped resources to take; `*` alone means all. @default [] (all) */
  readonly includedNamespaceScopedResources?: readonly string[] | undefined;
  /** New filter: namespace-scoped resources to leave out; `*` allowed alone. @default [] (none) */
  readonly excludedNamespaceScopedResources?: readonly string[] | undefined;
}

/** Which filter fields are in force. */
export type FilterStyle = "old" | "new";

/** What the filter needs to know about a resource. An {@link ApiResource} fits. */
export type ResourceScope = Pick<ApiResource, "groupResource" | "namespaced">;

/** Include or not, with the reason for the log line. */
export interface InclusionDecision {
  readonly include: boolean;
  readonly reason: string;
}

/** The resolved lists behind a {@link ResourceFilter}. */
export type ResourceFilterLists =
  | {
      readonly style: "old";
      readonly resources: ResourceIncludesExcludes;
      readonly includeClusterResources: boolean | undefined;
    }
  | {
      readonly style: "new";
      readonly clusterScoped: ResourceIncludesExcludes;
      readonly namespaceScoped: ResourceIncludesExcludes;
    };

/** Decides, per resource, whether a backup or restore takes it. */
export interface ResourceFilter {
  readonly style: FilterStyle;
  readonly purpose: "backup" | "restore";
  readonly namespaces: NamespaceFilter;
  readonly lists: ResourceFilterLists;
  /** Warnings for the log: names the cluster does not serve, resources listed under the wrong scope. */
  readonly warnings: readonly string[];
  /**
   * Whether items of this resource are taken.
   * - `viaAction: false`: the resource is being listed (collection), or read from the backup (restore).
   * - `viaAction: true`: an item an action returned as an additional item. Namespaced ones face the
   *   normal resource check; cluster-scoped ones are dropped only when explicitly excluded, when
   *   `includeClusterResources` is `false`, or when an old-style `includedResources` list does not name
   *   them. The caller still checks the item's namespace with the namespace filter.
   */
  includeResource(resource: ResourceScope, options: { readonly viaAction: boolean }): InclusionDecision;
}

/** Options for {@link checkResourceFilter}. */
export interface ResourceFilterOptions {
  /** The namespace filter of the same spec (its "everything" state drives cluster-scoped rules). */
  readonly namespaces: NamespaceFilter;
  /**
   * `"restore"`: only old filters exist; never-restored resources are excluded (and a problem when
   * included); `datauploads.velero.io` and `volumesnapshotcontents.snapshot.storage.k8s.io` always pass.
   * @default "backup"
   */
  readonly purpose?: "backup" | "restore" | undefined;
}

const OLD_FIELDS = ["includedResources", "excludedResources", "includeClusterResources"] as const;
const NEW_FIELDS = [
  "includedClusterScopedResources",
  "excludedClusterScopedResources",
  "includedNamespaceScopedResources",
  "excludedNamespaceScopedResources",
] as const;

const isSet = (
  spec: ResourceFilterSpec,
  field: (typeof OLD_FIELDS)[number] | (typeof NEW_FIELDS)[number],
) => {
  const value = spec[field];
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null;
};

/**
 * Velero's `UseOldResourceFilters`: old filters when `includeClusterResources` is set or either old list
 * is non-empty; otherwise (including when nothing is set) the new ones.
 */
export const usesOldResourceFilters = (spec: ResourceFilterSpec): boolean =>
  OLD_FIELDS.some((f) => isSet(spec, f));

const yes = (reason: string): InclusionDecision => ({ include: true, reason });
const no = (reason: string): InclusionDecision => ({ include: false, reason });

const decideOld = (
  res: ResourceIncludesExcludes,
  icr: boolean | undefined,
  namespaces: NamespaceFilter,
  r: ResourceScope,
  viaAction: boolean,
): InclusionDecision => {
  const gr = r.groupResource;
  if (!r.namespaced) {
    if (icr === false) return no(`${gr} is cluster-scoped and includeClusterResources is false`);
    if (!viaAction && icr === undefined && gr !== "namespaces" && !namespaces.isEverything())
      return no(
        `${gr} is cluster-scoped, includeClusterResources is unset and only some namespaces are included; its items come in only when an action returns them`,
      );
  }
  if (res.isExcluded(gr)) return no(`${gr} is listed in excludedResources`);
  if (!res.shouldInclude(gr)) return no(`${gr} is not listed in includedResources`);
  if (viaAction) return yes(`${gr} returned by an action passes the resource filters`);
  if (!r.namespaced && icr === true)
    return yes(`${gr} is cluster-scoped and includeClusterResources is true`);
  return yes(`${gr} passes the resource filters`);
};

const decideNew = (
  cluster: ResourceIncludesExcludes,
  namespaced: ResourceIncludesExcludes,
  namespaces: NamespaceFilter,
  r: ResourceScope,
  viaAction: boolean,
): InclusionDecision => {
  const gr = r.groupResource;
  if (r.namespaced) {
    if (namespaced.isExcluded(gr)) return no(`${gr} is listed in excludedNamespaceScopedResources`);
    if (!namespaced.shouldInclude(gr)) return no(`${gr} is not listed in includedNamespaceScopedResources`);
    return yes(`${gr} passes the namespace-scoped resource filters`);
  }
  if (cluster.isExcluded(gr)) return no(`${gr} is listed in excludedClusterScopedResources`);
  if (viaAction) return yes(`${gr} returned by an action is not excluded by excludedClusterScopedResources`);
  if (cluster.included.includes("*") || cluster.included.includes(gr))
    return yes(`${gr} is listed in includedClusterScopedResources`);
  if (
    cluster.included.length === 0 &&
    cluster.excluded.length === 0 &&
    namespaces.isEverything() &&
    namespaced.isEverything()
  )
    return yes(`${gr} is cluster-scoped and the backup takes every namespace and namespace-scoped resource`);
  if (gr === "namespaces") return yes("namespaces are always taken unless excluded");
  return no(
    `${gr} is cluster-scoped and not listed in includedClusterScopedResources (cluster-scoped resources are taken by default only when no cluster-scoped lists are set and every namespace and namespace-scoped resource is included); its items come in only when an action returns them`,
  );
};

const scopeWarnings = (
  names: readonly ResolvedResourceName[],
  field: string,
  wantNamespaced: boolean,
): string[] =>
  names
    .filter((r) => r.resource !== undefined && r.resource.namespaced !== wantNamespaced)
    .map(
      (r) =>
        `${field}: ${r.groupResource} is ${wantNamespaced ? "cluster" : "namespace"}-scoped, so listing it here has no effect; move it to the ${wantNamespaced ? "ClusterScoped" : "NamespaceScoped"} list`,
    );

/**
 * Validates the resource fields of a Backup or Restore spec and builds the filter, without throwing.
 */
export const checkResourceFilter = (
  discovery: Discovery,
  spec: ResourceFilterSpec,
  options: ResourceFilterOptions,
): Checked<ResourceFilter> => {
  const purpose = options.purpose ?? "backup";
  const { namespaces } = options;
  const problems: string[] = [];
  const warnings: string[] = [];
  const usedOld = OLD_FIELDS.filter((f) => isSet(spec, f));
  const usedNew = NEW_FIELDS.filter((f) => isSet(spec, f));

  if (purpose === "restore" && usedNew.length > 0)
    problems.push(
      `a restore has no ${usedNew.join(", ")}: expected only includedResources, excludedResources and includeClusterResources; move the lists there`,
    );
  else if (usedOld.length > 0 && usedNew.length > 0)
    problems.push(
      `old and new resource filters cannot be mixed: received ${usedOld.join(", ")} (old) with ${usedNew.join(", ")} (new); use only includedResources/excludedResources/includeClusterResources, or only the four *ScopedResources lists`,
    );

  const icr = spec.includeClusterResources ?? undefined;
  const style: FilterStyle = purpose === "restore" || usesOldResourceFilters(spec) ? "old" : "new";
  let lists: ResourceFilterLists;
  if (style === "old") {
    const checked = checkResourceIncludesExcludes(discovery, {
      included: spec.includedResources,
      excluded: spec.excludedResources,
    });
    problems.push(...checked.problems);
    warnings.push(...checked.warnings);
    let resources = checked.value;
    if (purpose === "restore") {
      for (const r of resources.resolved.included)
        if (isNeverRestored(r.groupResource))
          problems.push(
            `includedResources: ${r.groupResource}${r.input === r.groupResource ? "" : ` ("${r.input}")`} is never restored (Velero excludes ${NEVER_RESTORED_RESOURCES.join(", ")}); remove it`,
          );
      // Velero appends the non-restorable list to the excludes after validation.
      resources = checkResourceIncludesExcludes(discovery, {
        included: spec.includedResources,
        excluded: [...(spec.excludedResources ?? []), ...NEVER_RESTORED_RESOURCES],
      }).value;
    }
    lists = { style, resources, includeClusterResources: icr };
  } else {
    const cluster = checkResourceIncludesExcludes(discovery, {
      included: spec.includedClusterScopedResources,
      excluded: spec.excludedClusterScopedResources,
      fields: { included: "includedClusterScopedResources", excluded: "excludedClusterScopedResources" },
      rules: "scoped",
    });
    const namespaced = checkResourceIncludesExcludes(discovery, {
      included: spec.includedNamespaceScopedResources,
      excluded: spec.excludedNamespaceScopedResources,
      fields: { included: "includedNamespaceScopedResources", excluded: "excludedNamespaceScopedResources" },
      rules: "scoped",
    });
    problems.push(...cluster.problems, ...namespaced.problems);
    warnings.push(
      ...cluster.warnings,
      ...namespaced.warnings,
      ...scopeWarnings(cluster.value.resolved.included, "includedClusterScopedResources", false),
      ...scopeWarnings(cluster.value.resolved.excluded, "excludedClusterScopedResources", false),
      ...scopeWarnings(namespaced.value.resolved.included, "includedNamespaceScopedResources", true),
      ...scopeWarnings(namespaced.value.resolved.excluded, "excludedNamespaceScopedResources", true),
    );
    lists = { style, clusterScoped: cluster.value, namespaceScoped: namespaced.value };
  }

  const filter: ResourceFilter = {
    style,
    purpose,
    namespaces,
    lists,
    warnings,
    includeResource(resource, { viaAction }) {
      if (purpose === "restore" && isAlwaysRestored(resource.groupResource))
        return yes(`${resource.groupResource} is always restored, whatever the filters`);
      return lists.style === "old"
        ? decideOld(lists.resources, lists.includeClusterResources, namespaces, resource, viaAction)
        : decideNew(lists.clusterScoped, lists.namespaceScoped, namespaces, resource, viaAction);
    },
  };
  return { value: filter, problems, warnings };
};

/**
 * Validates the resource fields of a Backup or Restore spec and builds the filter.
 * @throws ValidationError listing every problem.
 */
export const createResourceFilter = (
  discovery: Discovery,
  spec: ResourceFilterSpec,
  options: ResourceFilterOptions,
): ResourceFilter => valueOrThrow(checkResourceFilter(discovery, spec, options), "resource filter");
