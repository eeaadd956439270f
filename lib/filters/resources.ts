/**
 * Resource include/exclude lists resolved through discovery, as Velero's `GetResourceIncludesExcludes`
 * does: any name form (`deploy`, `Deployment`, `deployments.apps`, `cm`) becomes the group-resource
 * string (`deployments.apps`, `configmaps`). Names the cluster does not serve are kept as written (so an
 * include list of unknowns matches nothing rather than everything) and reported as warnings.
 */
import type { ApiResource, Discovery } from "../kube/discovery.ts";
import { type Checked, received, valueOrThrow } from "./checked.ts";

/** One user-given name and what it resolved to. */
export interface ResolvedResourceName {
  /** The name as the user wrote it. */
  readonly input: string;
  /** Velero's group-resource string (`pods`, `deployments.apps`), `*`, or the input when unknown. */
  readonly groupResource: string;
  /** The discovered resource; undefined for `*` and for names the cluster does not serve. */
  readonly resource: ApiResource | undefined;
}

/** Options for {@link checkResourceIncludesExcludes}. */
export interface ResourceListsOptions {
  /** Resource names in any form; `*` alone means all. @default [] (all) */
  readonly included?: readonly string[] | undefined;
  /** Resource names in any form to leave out; they win over includes. @default [] (none) */
  readonly excluded?: readonly string[] | undefined;
  /** Spec field names used in messages. @default { included: "includedResources", excluded: "excludedResources" } */
  readonly fields?: { readonly included: string; readonly excluded: string } | undefined;
  /**
   * `"old"`: Velero's `ValidateIncludesExcludes` (`*` never in excludes). `"scoped"`: its
   * `ValidateScopedIncludesExcludes` for the v1.11+ filters (`*` allowed alone in excludes, and then
   * includes must be empty).
   * @default "old"
   */
  readonly rules?: "old" | "scoped" | undefined;
}

/** A resolved include/exclude list over group-resource strings. */
export interface ResourceIncludesExcludes {
  /** Resolved include list (`*` kept); empty means all. */
  readonly included: readonly string[];
  /** Resolved exclude list. */
  readonly excluded: readonly string[];
  /** Every name with what it resolved to. */
  readonly resolved: {
    readonly included: readonly ResolvedResourceName[];
    readonly excluded: readonly ResolvedResourceName[];
  };
  /** Not excluded (nor `*` excluded), and includes are empty, `*`, or name it. */
  shouldInclude(groupResource: string): boolean;
  /** Named in the excludes, or excludes are `*`. */
  isExcluded(groupResource: string): boolean;
  /** Includes are empty or `*`. */
  includesAll(): boolean;
  /** Includes are empty or `*` and there are no excludes (Velero's `IncludeEverything`). */
  isEverything(): boolean;
}

/**
 * Resolves one name to its group-resource string through discovery. `*` stays `*`; a name the cluster
 * does not serve comes back as written with `resource: undefined`.
 */
export const resolveResourceName = (discovery: Discovery, input: string): ResolvedResourceName => {
  if (input === "*") return { input, groupResource: "*", resource: undefined };
  const resource = discovery.find(input);
  return { input, groupResource: resource ? resource.groupResource : input, resource };
};

/** Validates and resolves resource lists without throwing. */
export const checkResourceIncludesExcludes = (
  discovery: Discovery,
  options: ResourceListsOptions = {},
): Checked<ResourceIncludesExcludes> => {
  const fields = options.fields ?? { included: "includedResources", excluded: "excludedResources" };
  const scoped = options.rules === "scoped";
  const problems: string[] = [];
  const warnings: string[] = [];
  // Velero skips empty names (they resolve to nothing).
  const rawIncludes = [...new Set(options.included ?? [])].filter((s) => s !== "");
  const rawExcludes = [...new Set(options.excluded ?? [])].filter((s) => s !== "");

  if (rawIncludes.length > 1 && rawIncludes.includes("*"))
    problems.push(
      `${fields.included}: expected "*" alone or a list of resources, received ${received(rawIncludes)}; drop "*" or keep only "*"`,
    );
  if (scoped) {
    if (rawExcludes.length > 1 && rawExcludes.includes("*"))
      problems.push(
        `${fields.excluded}: expected "*" alone or a list of resources, received ${received(rawExcludes)}; drop "*" or keep only "*"`,
      );
    if (rawExcludes.includes("*") && rawIncludes.length > 0)
      problems.push(
        `${fields.excluded} is "*" but ${fields.included} is ${received(rawIncludes)}: when everything is excluded nothing can be included; empty one of the two lists`,
      );
  } else if (rawExcludes.includes("*")) {
    problems.push(
      `${fields.excluded}: "*" is not allowed, received ${received(rawExcludes)}; list the resources to leave out (or use ${fields.included} to pick the few to keep)`,
    );
  }

  const resolve = (field: string, names: string[]) =>
    names.map((name) => {
      const r = resolveResourceName(discovery, name);
      if (name !== "*" && !r.resource)
        warnings.push(
          `${field}: resource "${name}" is not served by this cluster; it is kept as written and matches nothing (as in Velero); check the name with \`kubectl api-resources\``,
        );
      return r;
    });
  const inc = resolve(fields.included, rawIncludes);
  const exc = resolve(fields.excluded, rawExcludes);
  const included = [...new Set(inc.map((r) => r.groupResource))];
  const excluded = [...new Set(exc.map((r) => r.groupResource))];

  for (const gr of excluded) {
    if (gr === "*" || !included.includes(gr)) continue;
    const names = [...inc, ...exc].filter((r) => r.groupResource === gr).map((r) => r.input);
    const spelled = [...new Set(names)].map((n) => `"${n}"`).join(" / ");
    problems.push(
      `${gr} is in both ${fields.included} and ${fields.excluded} (as ${spelled}); remove it from one list`,
    );
  }

  const includeAll = included.length === 0 || included.includes("*");
  const excludeSet = new Set(excluded);
  const includeSet = new Set(included);
  const isExcluded = (gr: string) => excludeSet.has("*") || excludeSet.has(gr);
  return {
    value: {
      included,
      excluded,
      resolved: { included: inc, excluded: exc },
      isExcluded,
      shouldInclude: (gr) => !isExcluded(gr) && (includeAll || includeSet.has(gr)),
      includesAll: () => includeAll,
      isEverything: () => includeAll && excluded.length === 0,
    },
    problems,
    warnings,
  };
};

/**
 * Validates and resolves resource lists.
 * @throws ValidationError listing every problem.
 */
export const createResourceIncludesExcludes = (
  discovery: Discovery,
  options: ResourceListsOptions = {},
): ResourceIncludesExcludes =>
  valueOrThrow(checkResourceIncludesExcludes(discovery, options), "resource filter");
