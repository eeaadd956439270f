import type { ApiResource, Discovery } from "../kube/discovery.ts";
import type { KubeObject } from "../kube/types.ts";

/**
 * What a backup collects, decided once from the options and discovery (the filters' answer), so the
 * engine below only asks yes/no questions.
 */
export interface CollectionPlan {
  /** Resources to LIST, in Velero's order. */
  readonly resources: readonly ApiResource[];
  /** Namespaces to LIST in one by one, or undefined for one LIST across all namespaces. */
  readonly namespaces: readonly string[] | undefined;
  /** The cluster's Namespace objects as listed when the plan was made (written at the end, as Velero does). */
  readonly namespaceObjects: readonly KubeObject[];
  /** Label selectors, one LIST each (Velero's orLabelSelectors); `[undefined]` = no selector. */
  readonly selectors: readonly (string | undefined)[];
  /** Whether an item in `namespace` passes the namespace filter (cluster-scoped: undefined). */
  includesNamespace(namespace: string | undefined): boolean;
  /** Whether items of `resource` may be backed up, listed (`viaAction: false`) or as additional items. */
  includesResource(resource: ApiResource, viaAction: boolean): boolean;
  /** Whether CRDs of backed-up custom resources are added (CRDs neither included nor excluded explicitly). */
  readonly addCrds: boolean;
  /** Whether namespace objects are written (not when cluster resources are excluded). */
  readonly writeNamespaces: boolean;
  /** Whether namespaces the filter includes are written even without items (no selector narrows them). */
  readonly namespaceObjectsByFilter: boolean;
  /** Named (non-glob) included namespaces that do not exist: an error each, as in Velero. */
  readonly missingNamespaces: readonly string[];
  /** Non-fatal notes from the filters (unknown resource names, …). */
  readonly warnings: readonly string[];
  readonly discovery: Discovery;
}
