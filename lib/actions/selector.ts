import { isStowageError, ValidationError } from "../errors.ts";
import { compileGlob } from "../filters/index.ts";
import type { Discovery } from "../kube/discovery.ts";
import { isRecord } from "./json.ts";
import { type LabelSelector, parseLabelSelector } from "./labels.ts";

/** Why an action did not apply to an item. */
export type SkipReasonKind = "resource" | "namespace" | "cluster-scoped" | "labels";

/** A {@link ResourceSelector} resolved against one cluster's discovery: cheap to evaluate per item. */
export interface ResolvedSelector {
  /** True when the selector is empty: the action applies to every item. */
  readonly everything: boolean;
  /** Whether a group-resource (`pods`, `deployments.apps`) is selected. */
  matchesResource(groupResource: string): boolean;
  /** Undefined when the namespace passes; `undefined` namespace means a cluster-scoped item. */
  namespaceSkip(namespace: string | undefined): "namespace" | "cluster-scoped" | undefined;
  /** Undefined when there is no label selector. */
  readonly labels: LabelSelector | undefined;
}

const FIELDS = ["namespaces", "excludedNamespaces", "resources", "excludedResources", "labelSelector"];
const HINTS: Record<string, string> = {
  includedNamespaces: "namespaces",
  namespace: "namespaces",
  includedResources: "resources",
  resource: "resources",
  labels: "labelSelector",
  selector: "labelSelector",
};

const stringList = (value: unknown, field: string, problems: string[]): string[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.trim() === "")) {
    problems.push(
      `appliesTo.${field}: expected an array of non-empty strings, received ${JSON.stringify(value)}`,
    );
    return [];
  }
  return (value as string[]).map((v) => v.trim());
};

/** Resolves one resource name; a qualified name of a group the cluster does not serve is kept as written. */
const resolveResource = (
  name: string,
  discovery: Discovery,
): { groupResource: string; warning?: string } | { problem: string } => {
  const found = discovery.find(name);
  if (found) return { groupResource: found.groupResource };
  const lower = name.toLowerCase();
  const dot = lower.indexOf(".");
  if (dot > 0) {
    const rest = lower.slice(dot + 1);
    const afterVersion = rest.slice(rest.indexOf(".") + 1);
    const served = discovery.groups.some((g) => g.name === rest || g.name === afterVersion);
    if (!served) {
      return {
        groupResource: lower,
        warning: `resource "${name}" is not served by this cluster (yet); matching items of group-resource "${lower}" literally`,
      };
    }
  }
  try {
    discovery.resolve(name);
  } catch (error) {
    if (isStowageError(error) && error instanceof ValidationError && error.problems[0]) {
      return { problem: error.problems[0] };
    }
  }
  return { problem: `resource "${name}" is not served by this cluster` };
};

/**
 * Validates and resolves an action's `appliesTo`. Problems and warnings are appended to the arrays,
 * prefixed by the caller.
 */
export const resolveSelector = (
  selector: unknown,
  discovery: Discovery,
  problems: string[],
  warnings: string[],
): ResolvedSelector => {
  if (selector !== undefined && !isRecord(selector)) {
    problems.push(
      `appliesTo: expected an object like { resources: ["pods"] }, received ${JSON.stringify(selector)}`,
    );
    selector = {};
  }
  const s = (selector ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(s)) {
    if (FIELDS.includes(key)) continue;
    const hint = HINTS[key];
    problems.push(
      `appliesTo.${key} is not a selector field${hint ? `: did you mean "${hint}"?` : `: expected one of ${FIELDS.join(", ")}`}`,
    );
  }

  const includedNs = stringList(s["namespaces"], "namespaces", problems);
  const excludedNs = stringList(s["excludedNamespaces"], "excludedNamespaces", problems);
  const includedRes = stringList(s["resources"], "resources", problems);
  const excludedRes = stringList(s["excludedResources"], "excludedResources", problems);
  if (excludedNs.includes("*"))
    problems.push(`appliesTo.excludedNamespaces: "*" is not allowed in an exclude list`);
  if (excludedRes.includes("*"))
    problems.push(`appliesTo.excludedResources: "*" is not allowed in an exclude list`);

  const globs = (patterns: string[], field: string) =>
    patterns.flatMap((p) => {
      try {
        return [compileGlob(p)];
      } catch (error) {
        problems.push(`appliesTo.${field}: ${(error as Error).message}`);
        return [];
      }
    });
  const includeAllNs = includedNs.length === 0 || includedNs.includes("*");
  const nsIncludes = includeAllNs ? [] : globs(includedNs, "namespaces");
  const nsExcludes = globs(
    excludedNs.filter((p) => p !== "*"),
    "excludedNamespaces",
  );
  // Velero's IncludeEverything(): no excludes, and includes empty or exactly "*"
  const nsEverything = excludedNs.length === 0 && new Set(includedNs).size <= 1 && includeAllNs;

  const resolveAll = (names: string[], field: string) => {
    const out = new Set<string>();
    for (const name of names) {
      if (name === "*") continue;
      const r = resolveResource(name, discovery);
      if ("problem" in r) problems.push(`appliesTo.${field}: ${r.problem}`);
      else {
        out.add(r.groupResource);
        if (r.warning) warnings.push(`appliesTo.${field}: ${r.warning}`);
      }
    }
    return out;
  };
  const includeAllRes = includedRes.length === 0 || includedRes.includes("*");
  const resIncludes = resolveAll(includeAllRes ? [] : includedRes, "resources");
  const resExcludes = resolveAll(excludedRes, "excludedResources");

  let labels: LabelSelector | undefined;
  const rawLabels = s["labelSelector"];
  if (rawLabels !== undefined) {
    if (typeof rawLabels !== "string") {
      problems.push(
        `appliesTo.labelSelector: expected a string like "app=web,tier!=db", received ${JSON.stringify(rawLabels)}`,
      );
    } else if (rawLabels.trim() !== "") {
      try {
        labels = parseLabelSelector(rawLabels);
      } catch (error) {
        problems.push(`appliesTo.labelSelector: ${(error as Error).message}`);
      }
    }
  }

  return {
    everything: nsEverything && includeAllRes && resExcludes.size === 0 && labels === undefined,
    matchesResource: (gr) => !resExcludes.has(gr) && (includeAllRes || resIncludes.has(gr)),
    namespaceSkip: (namespace) => {
      if (namespace === undefined || namespace === "") return nsEverything ? undefined : "cluster-scoped";
      if (nsExcludes.some((re) => re.test(namespace))) return "namespace";
      if (includeAllNs || nsIncludes.some((re) => re.test(namespace))) return undefined;
      return "namespace";
    },
    labels,
  };
};
