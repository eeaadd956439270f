import { ValidationError } from "../errors.ts";
import type { Discovery } from "../kube/discovery.ts";
import type { LabelSelector } from "./labels.ts";
import { actionNameProblem } from "./names.ts";
import { type ResolvedSelector, resolveSelector, type SkipReasonKind } from "./selector.ts";
import type { BackupItemAction, RestoreItemAction } from "./types.ts";

export type { SkipReasonKind } from "./selector.ts";

/** The item an action set is asked about. */
export interface ActionItemRef {
  /** Velero's group-resource string: `pods`, `deployments.apps`. */
  readonly groupResource: string;
  /** The item's namespace (at restore: the target namespace); undefined or `""` for cluster-scoped items. */
  readonly namespace?: string | undefined;
  /** The item's labels. @default {} */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** Why one action does not apply to an item (for debug logs). */
export interface SkipReason {
  readonly action: string;
  readonly reason: SkipReasonKind;
  readonly message: string;
}

/** Actions validated and resolved against one cluster's discovery, for one backup or restore run. */
export interface ActionSet<A extends BackupItemAction | RestoreItemAction> {
  /** Every action, in registration order. */
  readonly actions: readonly A[];
  /** Non-fatal notes, e.g. a qualified resource name of a group the cluster does not serve yet. */
  readonly warnings: readonly string[];
  /**
   * The actions that apply to an item, in registration order. Resource and namespace checks are
   * memoized per (groupResource, namespace); label selectors are evaluated per call. The returned array
   * may be shared between calls: do not modify it.
   */
  forItem(item: ActionItemRef): readonly A[];
  /** For each action that does not apply to the item, why (resource, namespace, cluster-scoped, labels). */
  skipReasons(item: ActionItemRef): SkipReason[];
}

interface Entry<A> {
  readonly action: A;
  readonly selector: ResolvedSelector;
}

interface Candidates<A> {
  readonly entries: readonly Entry<A>[];
  /** Set when no candidate has a label selector: the answer for every item of this (gr, ns). */
  readonly fixed: readonly A[] | undefined;
}

/**
 * Label matchers of resolved actions, so {@link runRestoreActions} can re-check a selector against the
 * item's current labels before each action, as Velero's restore does.
 * @internal
 */
export const labelSelectorOf = new WeakMap<object, LabelSelector>();

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Validates every action once and resolves its `appliesTo` through discovery. Pass the built-in
 * actions first: they run before the user's, in the order given.
 *
 * Rules (Velero's `ValidatePluginName` and `action_resolver.go`):
 * - `name` is `<dns-subdomain>/<name>` and unique; `execute` is a function;
 * - `appliesTo.resources` / `excludedResources` resolve through discovery (`*` = all); a name that does not
 *   resolve is an error, unless it is qualified with a group the cluster does not serve (a CRD the restore
 *   may create), which is kept literally with a warning;
 * - namespaces are globs; a cluster-scoped item matches only when the action has no namespace filter
 *   (`namespaces` empty or `["*"]`, `excludedNamespaces` empty);
 * - `labelSelector` uses `kubectl -l` syntax.
 *
 * @throws ValidationError listing every problem of every action
 */
export const resolveActions = <A extends BackupItemAction | RestoreItemAction>(
  actions: readonly A[],
  discovery: Discovery,
): ActionSet<A> => {
  const problems: string[] = [];
  const warnings: string[] = [];
  const entries: Entry<A>[] = [];
  const firstIndex = new Map<string, number>();
  if (!Array.isArray(actions)) {
    throw new ValidationError([`expected an array of actions, received ${typeof actions}`], "item actions");
  }
  actions.forEach((action, index) => {
    const label = typeof action?.name === "string" ? `action "${action.name}"` : `action #${index + 1}`;
    if (typeof action !== "object" || action === null) {
      problems.push(`${label}: expected an object { name, appliesTo?, execute }, received ${String(action)}`);
      return;
    }
    const nameProblem = actionNameProblem(action.name);
    if (nameProblem) problems.push(`${label}: ${nameProblem}`);
    else {
      const seen = firstIndex.get(action.name);
      if (seen !== undefined) {
        problems.push(
          `${label} is registered twice (actions #${seen + 1} and #${index + 1}): names must be unique; rename one`,
        );
      } else firstIndex.set(action.name, index);
    }
    if (typeof action.execute !== "function") {
      problems.push(
        `${label}: execute must be a function (input) => output, received ${typeof action.execute}`,
      );
    }
    const own: string[] = [];
    const ownWarnings: string[] = [];
    const selector = resolveSelector(action.appliesTo, discovery, own, ownWarnings);
    problems.push(...own.map((p) => `${label}: ${p}`));
    warnings.push(...ownWarnings.map((w) => `${label}: ${w}`));
    if (selector.labels) labelSelectorOf.set(action, selector.labels);
    else labelSelectorOf.delete(action);
    entries.push({ action, selector });
  });
  if (problems.length > 0) throw new ValidationError(problems, "item actions");

  const memo = new Map<string, Map<string, Candidates<A>>>();
  const candidates = (groupResource: string, namespace: string): Candidates<A> => {
    let byNamespace = memo.get(groupResource);
    if (!byNamespace) {
      byNamespace = new Map();
      memo.set(groupResource, byNamespace);
    }
    let found = byNamespace.get(namespace);
    if (!found) {
      const ns = namespace === "" ? undefined : namespace;
      const matching = entries.filter(
        (e) => e.selector.matchesResource(groupResource) && e.selector.namespaceSkip(ns) === undefined,
      );
      const fixed = matching.every((e) => !e.selector.labels)
        ? Object.freeze(matching.map((e) => e.action))
        : undefined;
      found = { entries: matching, fixed: fixed && fixed.length === 0 ? EMPTY : fixed };
      byNamespace.set(namespace, found);
    }
    return found;
  };

  return {
    actions: Object.freeze([...actions]),
    warnings: Object.freeze(warnings),
    forItem(item) {
      if (entries.length === 0) return EMPTY;
      const found = candidates(item.groupResource, item.namespace ?? "");
      if (found.fixed) return found.fixed;
      const labels = item.labels ?? {};
      const out: A[] = [];
      for (const e of found.entries)
        if (!e.selector.labels || e.selector.labels.matches(labels)) out.push(e.action);
      return out;
    },
    skipReasons(item) {
      const reasons: SkipReason[] = [];
      const ns = item.namespace === "" ? undefined : item.namespace;
      for (const { action, selector } of entries) {
        const skip = (reason: SkipReasonKind, message: string) =>
          reasons.push({ action: action.name, reason, message });
        if (!selector.matchesResource(item.groupResource)) {
          skip("resource", `action ${action.name} does not apply to resource ${item.groupResource}`);
          continue;
        }
        const nsSkip = selector.namespaceSkip(ns);
        if (nsSkip === "cluster-scoped") {
          skip(
            "cluster-scoped",
            `action ${action.name} only applies to specific namespaces and ${item.groupResource} is cluster-scoped`,
          );
          continue;
        }
        if (nsSkip === "namespace") {
          skip("namespace", `action ${action.name} does not apply to namespace ${ns}`);
          continue;
        }
        if (selector.labels && !selector.labels.matches(item.labels ?? {})) {
          skip(
            "labels",
            `action ${action.name}: label selector "${selector.labels.text}" does not match the item's labels`,
          );
        }
      }
      return reasons;
    },
  };
};
