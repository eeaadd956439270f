/**
 * Label selectors: the string syntax (`kubectl -l`, the API's `labelSelector` query parameter) and the
 * `LabelSelector` object Backup and Restore specs store, converted both ways and matched against labels
 * as Kubernetes does. Also the `labelSelector` / `orLabelSelectors` pair of a spec.
 */
import type { LabelSelector } from "../store/types.ts";
import { type Checked, valueOrThrow } from "./checked.ts";
import { type LabelRequirement, LabelSyntaxError, parseRequirements } from "./label-parser.ts";

export type { LabelRequirement } from "./label-parser.ts";

/** Operators of a `LabelSelector` expression. */
export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

/** One `matchExpressions` entry, as accepted on input. */
export interface LabelSelectorRequirementLike {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  /** Required (non-empty) for In/NotIn, absent or empty for Exists/DoesNotExist. */
  readonly values?: readonly string[] | undefined;
}

/**
 * Kubernetes' `metav1.LabelSelector` as accepted on input (read-only); requirements are ANDed and an
 * empty selector matches everything. Outputs use the spec's {@link LabelSelector} type.
 */
export interface LabelSelectorLike {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirementLike[] | undefined;
}

/** A selector given as a string (`app=web,tier in (a,b)`) or as a `LabelSelector` object. */
export type LabelSelectorInput = string | LabelSelectorLike;

/** Labels of an object (`metadata.labels`, possibly absent). */
export type Labels = Readonly<Record<string, string>> | null | undefined;

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const keyProblem = (key: string): string | undefined => {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !SUBDOMAIN.test(prefix)))
    return `key "${key}" has an invalid prefix: expected a DNS subdomain such as "example.com/" (lowercase, at most 253 characters)`;
  if (name.length === 0 || name.length > 63 || !NAME.test(name))
    return `key "${key}" is not a valid label key: expected [prefix/]name with a name of at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  return undefined;
};

const valueProblem = (key: string, value: string): string | undefined =>
  value.length > 63 || (value !== "" && !NAME.test(value))
    ? `value "${value}" of key "${key}" is not a valid label value: expected at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (or empty)`
    : undefined;

/**
 * The problems with `labels` as an object's `metadata.labels` (Kubernetes label key and value syntax),
 * each starting with `field` (e.g. `labels`); `[]` when they are valid or not given.
 */
export const labelsProblems = (labels: unknown, field: string): string[] => {
  if (labels === undefined) return [];
  if (typeof labels !== "object" || labels === null || Array.isArray(labels))
    return [
      `${field}: expected an object of label keys to string values, received ${Array.isArray(labels) ? "an array" : labels === null ? "null" : typeof labels}`,
    ];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const problem =
      keyProblem(key) ??
      (typeof value === "string"
        ? valueProblem(key, value)
        : `value of key "${key}" must be a string, received ${typeof value}`);
    if (problem !== undefined) problems.push(`${field}: ${problem}`);
  }
  return problems;
};

const requirementProblems = (r: LabelRequirement): string[] =>
  [keyProblem(r.key), ...r.values.map((v) => valueProblem(r.key, v))].filter(
    (p): p is string => p !== undefined,
  );

/** Requirements of a selector object, validated as `metav1.LabelSelectorAsSelector` does. */
const objectRequirements = (
  selector: LabelSelectorLike,
  field: string,
): { requirements: LabelRequirement[]; problems: string[] } => {
  const problems: string[] = [];
  const requirements: LabelRequirement[] = [];
  if (typeof selector !== "object" || selector === null || Array.isArray(selector))
    return {
      requirements,
      problems: [
        `${field}: expected a string or a LabelSelector object ({matchLabels, matchExpressions}), received ${Array.isArray(selector) ? "an array" : typeof selector}`,
      ],
    };
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const r: LabelRequirement = { key, operator: "Equals", values: [value] };
    problems.push(...requirementProblems(r).map((p) => `${field}.matchLabels: ${p}`));
    requirements.push(r);
  }
  (selector.matchExpressions ?? []).forEach((e, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    const values = [...(e.values ?? [])];
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0)
          problems.push(`${at}: operator ${e.operator} needs at least one value, received none; add values`);
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0)
          problems.push(
            `${at}: operator ${e.operator} takes no values, received ${JSON.stringify(values)}; remove them`,
          );
        break;
      default:
        problems.push(
          `${at}.operator: expected In, NotIn, Exists or DoesNotExist, received ${JSON.stringify(e.operator)}`,
        );
        return;
    }
    const r: LabelRequirement = { key: e.key, operator: e.operator, values };
    problems.push(...requirementProblems(r).map((p) => `${at}: ${p}`));
    requirements.push(r);
  });
  return { requirements, problems };
};

const stringRequirements = (
  text: string,
  field: string,
): { requirements: LabelRequirement[]; problems: string[] } => {
  try {
    const requirements = parseRequirements(text);
    return {
      requirements,
      problems: requirements.flatMap(requirementProblems).map((p) => `${field} "${text}": ${p}`),
    };
  } catch (error) {
    if (!(error instanceof LabelSyntaxError)) throw error;
    return {
      requirements: [],
      problems: [
        `${field} "${text}": ${error.message}; write requirements like "app=web,tier in (a,b),!legacy" joined by ","`,
      ],
    };
  }
};

const requirementsOf = (input: LabelSelectorInput, field: string) =>
  typeof input === "string" ? stringRequirements(input, field) : objectRequirements(input, field);

const toObject = (requirements: readonly LabelRequirement[]): LabelSelector => {
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector["matchExpressions"]> = [];
  for (const r of requirements) {
    const values = [...new Set(r.values)];
    if (r.operator === "Equals") {
      const existing = matchLabels[r.key];
      if (existing === undefined) matchLabels[r.key] = values[0]!;
      else if (existing !== values[0]) matchExpressions.push({ key: r.key, operator: "In", values });
    } else if (r.operator === "NotEquals") {
      matchExpressions.push({ key: r.key, operator: "NotIn", values });
    } else if (r.operator === "Exists" || r.operator === "DoesNotExist") {
      matchExpressions.push({ key: r.key, operator: r.operator });
    } else {
      matchExpressions.push({ key: r.key, operator: r.operator, values });
    }
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
};

const requirementString = (r: LabelRequirement): string => {
  const sorted = [...new Set(r.values)].sort();
  switch (r.operator) {
    case "Equals":
      return `${r.key}=${r.values[0] ?? ""}`;
    case "NotEquals":
      return `${r.key}!=${r.values[0] ?? ""}`;
    case "In":
      return `${r.key} in (${sorted.join(",")})`;
    case "NotIn":
      return `${r.key} notin (${sorted.join(",")})`;
    case "Exists":
      return r.key;
    case "DoesNotExist":
      return `!${r.key}`;
  }
};

/** Kubernetes' canonical form: requirements sorted by key, set values sorted. */
const toQuery = (requirements: readonly LabelRequirement[]): string =>
  [...requirements]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(requirementString)
    .join(",");

const matchesRequirement = (r: LabelRequirement, labels: Labels): boolean => {
  const has = labels != null && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "Equals":
    case "In":
      return has && r.values.includes(value!);
    case "NotEquals":
    case "NotIn":
      return !has || !r.values.includes(value!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
};

/** A validated selector, ready to match many objects. */
export interface CompiledLabelSelector {
  /** The selector as a `LabelSelector` object (what a Backup/Restore spec stores). */
  readonly selector: LabelSelector;
  /** The canonical string, as the API's `labelSelector` query parameter; `""` matches everything. */
  readonly query: string;
  readonly requirements: readonly LabelRequirement[];
  /** True when every requirement holds for these labels. */
  matches(labels: Labels): boolean;
}

const compiled = (requirements: LabelRequirement[]): CompiledLabelSelector => ({
  selector: toObject(requirements),
  query: toQuery(requirements),
  requirements,
  matches: (labels) => requirements.every((r) => matchesRequirement(r, labels)),
});

/** Validates a selector (string or object) without throwing. */
export const checkLabelSelector = (
  input: LabelSelectorInput,
  field = "labelSelector",
): Checked<CompiledLabelSelector> => {
  const { requirements, problems } = requirementsOf(input, field);
  return { value: compiled(requirements), problems, warnings: [] };
};

/**
 * Validates a selector given as a string or a `LabelSelector` object.
 * @throws ValidationError pointing at the bad token or field.
 */
export const compileLabelSelector = (
  input: LabelSelectorInput,
  field = "labelSelector",
): CompiledLabelSelector => valueOrThrow(checkLabelSelector(input, field), "label selector");

/**
 * Parses the string syntax into a `LabelSelector` object (`a=b` → matchLabels; `a!=b` → NotIn).
 * @throws ValidationError pointing at the bad token.
 */
export const parseLabelSelector = (text: string): LabelSelector => compileLabelSelector(text).selector;

/**
 * The canonical string form of a `LabelSelector` object (the API's `labelSelector` query parameter):
 * `{matchLabels: {app: "web"}, matchExpressions: [{key: "tier", operator: "In", values: ["b", "a"]}]}`
 * → `app=web,tier in (a,b)`.
 * @throws ValidationError for an invalid object.
 */
export const formatLabelSelector = (selector: LabelSelectorInput): string =>
  compileLabelSelector(selector).query;

const isCompiled = (s: LabelSelectorInput | CompiledLabelSelector): s is CompiledLabelSelector =>
  typeof s === "object" && s !== null && "matches" in s && typeof s.matches === "function";

/**
 * Whether labels satisfy a selector (string or object). Compile once with {@link compileLabelSelector}
 * when matching many objects.
 * @throws ValidationError for an invalid selector.
 */
export const matchesLabels = (
  selector: LabelSelectorInput | CompiledLabelSelector,
  labels: Labels,
): boolean => (isCompiled(selector) ? selector : compileLabelSelector(selector)).matches(labels);

/** The `labelSelector` / `orLabelSelectors` pair of a Backup or Restore spec. */
export interface LabelSelectionOptions {
  /** Only objects matching this selector. Exclusive with `orLabelSelectors`. @default none (everything) */
  readonly labelSelector?: LabelSelectorInput | null | undefined;
  /**
   * Objects matching any of these selectors (one LIST per selector). Exclusive with `labelSelector`.
   * @default none (everything)
   */
  readonly orLabelSelectors?: readonly LabelSelectorInput[] | null | undefined;
}

/** The resolved label selection of a spec. */
export interface LabelSelection {
  /** The selectors in the shape the spec stores (objects), for velero-backup.json. */
  readonly spec: {
    readonly labelSelector?: LabelSelector;
    readonly orLabelSelectors?: LabelSelector[];
  };
  /** One `labelSelector` query per LIST call; `[""]` when there is no selector. */
  readonly queries: readonly string[];
  /** True when there is no selector at all. */
  isEverything(): boolean;
  /** True when the labels satisfy the selector, or any of the OR selectors. */
  matches(labels: Labels): boolean;
}

/** Validates `labelSelector` / `orLabelSelectors` without throwing. */
export const checkLabelSelection = (options: LabelSelectionOptions = {}): Checked<LabelSelection> => {
  const problems: string[] = [];
  const single =
    options.labelSelector === null || options.labelSelector === undefined || options.labelSelector === ""
      ? undefined
      : options.labelSelector;
  const ors = options.orLabelSelectors ?? [];
  if (single !== undefined && ors.length > 0)
    problems.push(
      "labelSelector and orLabelSelectors are mutually exclusive, received both; move the labelSelector into orLabelSelectors or drop one",
    );
  const selectors: CompiledLabelSelector[] = [];
  if (single !== undefined) {
    const c = checkLabelSelector(single, "labelSelector");
    problems.push(...c.problems);
    selectors.push(c.value);
  }
  ors.forEach((s, i) => {
    const c = checkLabelSelector(s, `orLabelSelectors[${i}]`);
    problems.push(...c.problems);
    selectors.push(c.value);
  });
  const spec =
    single !== undefined
      ? { labelSelector: selectors[0]!.selector }
      : ors.length > 0
        ? { orLabelSelectors: selectors.map((s) => s.selector) }
        : {};
  const selection: LabelSelection = {
    spec,
    queries: selectors.length === 0 ? [""] : selectors.map((s) => s.query),
    isEverything: () => selectors.length === 0,
    matches: (labels) => selectors.length === 0 || selectors.some((s) => s.matches(labels)),
  };
  return { value: selection, problems, warnings: [] };
};

/**
 * Validates `labelSelector` / `orLabelSelectors` (mutually exclusive, each a string or an object).
 * @throws ValidationError listing every problem.
 */
export const createLabelSelection = (options: LabelSelectionOptions = {}): LabelSelection =>
  valueOrThrow(checkLabelSelection(options), "label selectors");
