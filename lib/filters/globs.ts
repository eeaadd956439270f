/**
 * Namespace include/exclude lists with Velero's semantics (`pkg/util/collections/includes_excludes.go`):
 * globs, excludes win over includes, an empty include list means `*`.
 */
import { type Checked, quoted, received, unique, valueOrThrow } from "./checked.ts";
import { compileGlob, GlobSyntaxError, isGlob } from "./glob-match.ts";

/** The namespace lists of a Backup or Restore spec. */
export interface NamespaceFilterOptions {
  /**
   * Namespace names or globs (`*`, `?`, `[ab]`, `[!a-c]`, `{a,b}`) to include. `*` must stand alone.
   * @default ["*"] (every namespace)
   */
  readonly included?: readonly string[] | undefined;
  /**
   * Namespace names or globs to leave out; they win over includes. `*` is not allowed.
   * @default [] (none)
   */
  readonly excluded?: readonly string[] | undefined;
}

/** The result of matching the filter against the namespaces that actually exist. */
export interface NamespaceExpansion {
  /** Existing namespaces the filter selects, in the order given. */
  readonly namespaces: string[];
  /**
   * Plain (non-glob) included names that do not exist. Velero logs an error for each, which makes the
   * backup PartiallyFailed; the caller records them.
   */
  readonly missing: string[];
}

/** A validated namespace filter. */
export interface NamespaceFilter {
  /** The include list as Velero stores it: de-duplicated, `["*"]` when none was given. */
  readonly included: readonly string[];
  /** The exclude list, de-duplicated. */
  readonly excluded: readonly string[];
  /** Whether a namespace passes: not matched by any exclude, and matched by an include. */
  shouldInclude(namespace: string): boolean;
  /** True when includes are `*` and there are no excludes (Velero's `IncludeEverything`). */
  isEverything(): boolean;
  /** True when includes are `*` (excludes aside): one LIST across all namespaces suffices. */
  includesAll(): boolean;
  /** Matches the filter against existing namespaces and reports named includes that are missing. */
  expand(liveNamespaces: Iterable<string>): NamespaceExpansion;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GLOB_CHARS = /^[-a-z0-9*?[\]{},!]*$/;

/** Problems with one pattern, each naming the field it came from. */
const patternProblems = (field: string, pattern: string): string[] => {
  // Velero lets "" through (it stands for "no namespace").
  if (pattern === "" || pattern === "*") return [];
  if (!isGlob(pattern)) {
    if (pattern.length > 63 || !DNS_LABEL.test(pattern))
      return [
        `${field}: "${pattern}" is not a valid namespace name: expected at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit (or a glob such as "shop-*"); fix the name`,
      ];
    return [];
  }
  if (!GLOB_CHARS.test(pattern))
    return [
      `${field}: "${pattern}" is not a valid namespace glob: expected lowercase letters, digits, "-" and the glob characters * ? [ ] { } , !; fix the pattern`,
    ];
  try {
    compileGlob(pattern);
    return [];
  } catch (error) {
    if (!(error instanceof GlobSyntaxError)) throw error;
    return [`${field}: "${pattern}" is not a valid glob: ${error.message}`];
  }
};

/**
 * Validates and builds a namespace filter without throwing: problems follow Velero's
 * `ValidateNamespaceIncludesExcludes` (`*` alone in includes, no `*` in excludes, nothing in both,
 * valid names/globs).
 */
export const checkNamespaceFilter = (options: NamespaceFilterOptions = {}): Checked<NamespaceFilter> => {
  const includes = unique(options.included ?? []);
  const excludes = unique(options.excluded ?? []);
  const problems: string[] = [];

  if (includes.length > 1 && includes.includes("*"))
    problems.push(
      `includedNamespaces: expected "*" alone or a list of names/globs, received ${received(includes)}; drop "*" or keep only "*"`,
    );
  if (excludes.includes("*"))
    problems.push(
      `excludedNamespaces: "*" is not allowed (it would exclude every namespace), received ${received(excludes)}; list the namespaces or globs to leave out`,
    );
  const both = excludes.filter((e) => e !== "*" && includes.includes(e));
  if (both.length > 0)
    problems.push(
      `${quoted(both)} ${both.length === 1 ? "is" : "are"} in both includedNamespaces and excludedNamespaces; remove ${both.length === 1 ? "it" : "them"} from one list`,
    );
  for (const p of includes) problems.push(...patternProblems("includedNamespaces", p));
  for (const p of excludes) if (p !== "*") problems.push(...patternProblems("excludedNamespaces", p));

  const compile = (patterns: string[]) => {
    const out: RegExp[] = [];
    for (const p of patterns) {
      try {
        out.push(compileGlob(p));
      } catch {
        // already reported as a problem
      }
    }
    return out;
  };
  const included = includes.length === 0 ? ["*"] : includes;
  const includeAll = included.includes("*");
  const includeMatchers = compile(included);
  const excludeMatchers = compile(excludes);

  const shouldInclude = (namespace: string): boolean => {
    if (excludeMatchers.some((m) => m.test(namespace))) return false;
    return includeAll || includeMatchers.some((m) => m.test(namespace));
  };

  const filter: NamespaceFilter = {
    included,
    excluded: excludes,
    shouldInclude,
    isEverything: () => includeAll && excludes.length === 0,
    includesAll: () => includeAll,
    expand(liveNamespaces) {
      const live = unique(liveNamespaces);
      const liveSet = new Set(live);
      return {
        namespaces: live.filter(shouldInclude),
        missing: included.filter((p) => p !== "" && !isGlob(p) && !liveSet.has(p)),
      };
    },
  };
  return { value: filter, problems, warnings: [] };
};

/**
 * Builds a namespace filter with Velero's semantics.
 * @throws ValidationError listing every problem with the lists.
 */
export const createNamespaceFilter = (options: NamespaceFilterOptions = {}): NamespaceFilter =>
  valueOrThrow(checkNamespaceFilter(options), "namespace filter");
