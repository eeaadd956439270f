// Label selectors for `appliesTo.labelSelector`: the filters' parser and matcher, kept with the
// selector text so skip reasons can quote it.
import { compileLabelSelector, type LabelRequirement } from "../filters/index.ts";

export type { LabelRequirement };

/** A parsed `appliesTo.labelSelector`. */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** The selector as written. */
  readonly text: string;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

/**
 * Parses `kubectl -l` syntax (`a=b,c!=d,e in (x,y),!f`).
 * @throws ValidationError pointing at the bad token.
 */
export const parseLabelSelector = (text: string): LabelSelector => {
  const compiled = compileLabelSelector(text, "appliesTo.labelSelector");
  return { requirements: compiled.requirements, text, matches: (labels) => compiled.matches(labels) };
};
