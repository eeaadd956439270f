/**
 * What a restore refuses to believe from an archive: an item's scope comes from the target cluster's
 * discovery, not from the directory it is filed under, and its JSON must be an object naming the same
 * name (and namespace) as its path — Velero's layout makes them equal. A disagreeing item is refused on
 * its own, with an error naming its archive path; nothing of it is created or patched.
 */
import { describeValue } from "../errors.ts";
import { CLUSTER_DIR, NAMESPACES_DIR, RESOURCES_DIR } from "../format/paths.ts";
import type { ApiResource } from "../kube/discovery.ts";
import type { KubeObject } from "../kube/types.ts";
import { isRecord } from "../util/is-record.ts";

/** An item as the archive files it: group-resource, namespace (none: filed under `cluster/`), name. */
export interface FiledItem {
  readonly groupResource: string;
  readonly namespace?: string | undefined;
  readonly name: string;
}

const HOSTILE = "the archive is corrupt or hostile";

/**
 * Deepest nesting of objects and arrays accepted in an item. Kubernetes objects nest a few dozen levels
 * (a CRD's schema perhaps a few hundred); a restore walks items recursively (actions, encoding) and runs
 * out of stack a few thousand levels down, so deeper items are refused up front with a clear error.
 */
export const MAX_ITEM_DEPTH = 1000;

/** Whether `value` nests objects/arrays more than `limit` levels deep (walked without recursion). */
const nestsDeeperThan = (value: unknown, limit: number): boolean => {
  const values: unknown[] = [value];
  const depths: number[] = [1];
  while (values.length > 0) {
    const current = values.pop();
    const depth = depths.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
};

/** The classic archive path an item is read from: `resources/<gr>/namespaces/<ns>/<name>.json` or `…/cluster/<name>.json`. */
export const archivePathOf = (ref: FiledItem): string =>
  `${RESOURCES_DIR}/${ref.groupResource}/${
    ref.namespace === undefined || ref.namespace === "" ? CLUSTER_DIR : `${NAMESPACES_DIR}/${ref.namespace}`
  }/${ref.name}.json`;

/** `refusing archive item "<path>": <why>`. */
export const refusal = (ref: FiledItem, why: string): string =>
  `refusing archive item ${JSON.stringify(archivePathOf(ref))}: ${why}`;

/**
 * Why an item's path scope disagrees with the target cluster's `resource` (undefined: not served, so
 * nothing to compare); undefined when they agree.
 */
export const scopeProblem = (ref: FiledItem, resource: ApiResource | undefined): string | undefined => {
  if (resource === undefined) return undefined;
  const filedNamespaced = ref.namespace !== undefined && ref.namespace !== "";
  if (resource.namespaced === filedNamespaced) return undefined;
  return refusal(
    ref,
    resource.namespaced
      ? `${ref.groupResource} is namespaced in the target cluster, but the archive files it under "${CLUSTER_DIR}/" with no namespace; Velero files namespaced items under "${NAMESPACES_DIR}/<namespace>/" — ${HOSTILE}`
      : `${ref.groupResource} is cluster-scoped in the target cluster, but the archive files it under namespace "${ref.namespace}"; Velero files cluster-scoped items under "${CLUSTER_DIR}/" — ${HOSTILE}`,
  );
};

/**
 * The parsed item when it is an object, nested at most {@link MAX_ITEM_DEPTH} levels, whose
 * `metadata.name` is its path's name and whose `metadata.namespace`, when present on a namespaced item,
 * is its path's namespace; else why not.
 */
export const checkIdentity = (ref: FiledItem, item: unknown): KubeObject | string => {
  if (!isRecord(item)) {
    return refusal(
      ref,
      `expected a JSON object (a Kubernetes object), received ${describeValue(item)} — ${HOSTILE}`,
    );
  }
  if (nestsDeeperThan(item, MAX_ITEM_DEPTH)) {
    return refusal(
      ref,
      `its JSON nests objects or arrays more than ${MAX_ITEM_DEPTH} levels deep; no Kubernetes object does, and restoring it would exhaust the stack — ${HOSTILE}`,
    );
  }
  const metadata = isRecord(item.metadata) ? item.metadata : {};
  const name = metadata.name;
  if (name !== ref.name) {
    return refusal(
      ref,
      `its metadata.name is ${name === undefined ? "missing" : JSON.stringify(name)} but its path names ${JSON.stringify(ref.name)}; Velero files every item under its own name — ${HOSTILE}`,
    );
  }
  const namespace = metadata.namespace;
  if (
    ref.namespace !== undefined &&
    namespace !== undefined &&
    namespace !== "" &&
    namespace !== ref.namespace
  ) {
    return refusal(
      ref,
      `its metadata.namespace is ${JSON.stringify(namespace)} but its path names namespace ${JSON.stringify(ref.namespace)}; Velero files every item under its own namespace — ${HOSTILE}`,
    );
  }
  return item as KubeObject;
};
