/**
 * Label selectors in the CLI: velero's `metav1.FormatLabelSelector` for display, and `-l` filters on
 * the labels of backups, with the SDK's parser (kubectl's syntax).
 */

import { isStowageError } from "../errors.ts";
import { compileLabelSelector, formatLabelSelector } from "../filters/labels.ts";
import type { LabelSelector } from "../store/index.ts";
import { messageOf, UsageError } from "./errors.ts";

/** `app=web,tier in (a,b)`; `<none>` for an empty selector, `<error>` for an invalid one (as Go does). */
export const formatLabelSelectorOrNone = (selector: LabelSelector | undefined): string => {
  if (!selector) return "<none>";
  try {
    return formatLabelSelector(selector) || "<none>";
  } catch {
    return "<error>";
  }
};

/**
 * A predicate over labels for `-l SELECTOR`; an invalid selector is a usage error naming the flag.
 */
export const labelFilter = (
  text: string | undefined,
  command: readonly string[],
): ((labels: Readonly<Record<string, string>> | undefined) => boolean) => {
  if (text === undefined) return () => true;
  try {
    const selector = compileLabelSelector(text, "--selector");
    return (labels) => selector.matches(labels);
  } catch (error) {
    if (isStowageError(error)) throw new UsageError(messageOf(error), command);
    throw error;
  }
};
