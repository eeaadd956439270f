/**
 * One call per operation: validates every filter field of a Backup or Restore spec together, so a
 * ValidationError lists all problems at once (Velero's `status.validationErrors`).
 */
import type { Discovery } from "../kube/discovery.ts";
import { type Checked, valueOrThrow } from "./checked.ts";
import { checkNamespaceFilter, type NamespaceFilter } from "./globs.ts";
import { checkLabelSelection, type LabelSelection, type LabelSelectionOptions } from "./labels.ts";
import { checkResourceFilter, type ResourceFilter, type ResourceFilterSpec } from "./scope.ts";

/** The namespace lists of a spec. */
export interface NamespaceFilterSpec {
  /** Namespace names or globs; `*` alone means all. @default ["*"] */
  readonly includedNamespaces?: readonly string[] | undefined;
  /** Namespace names or globs to leave out (win over includes); no `*`. @default [] */
  readonly excludedNamespaces?: readonly string[] | undefined;
}

/** The filter fields of a Backup spec. */
export interface BackupFilterSpec extends NamespaceFilterSpec, ResourceFilterSpec, LabelSelectionOptions {}

/** The filter fields of a Restore spec (old-style resource filters only). */
export interface RestoreFilterSpec
  extends NamespaceFilterSpec,
    Pick<ResourceFilterSpec, "includedResources" | "excludedResources" | "includeClusterResources">,
    LabelSelectionOptions {}

/** Every filter of a spec, validated and resolved. */
export interface ResolvedFilters {
  readonly namespaces: NamespaceFilter;
  readonly resources: ResourceFilter;
  readonly labels: LabelSelection;
  /** Warnings for the log (unknown resource names, lists that cannot match); never fatal. */
  readonly warnings: readonly string[];
}

const check = (
  discovery: Discovery,
  spec: BackupFilterSpec,
  purpose: "backup" | "restore",
): Checked<ResolvedFilters> => {
  const namespaces = checkNamespaceFilter({
    included: spec.includedNamespaces,
    excluded: spec.excludedNamespaces,
  });
  const resources = checkResourceFilter(discovery, spec, { namespaces: namespaces.value, purpose });
  const labels = checkLabelSelection(spec);
  return {
    value: {
      namespaces: namespaces.value,
      resources: resources.value,
      labels: labels.value,
      warnings: [...namespaces.warnings, ...resources.warnings, ...labels.warnings],
    },
    problems: [...namespaces.problems, ...resources.problems, ...labels.problems],
    warnings: [...namespaces.warnings, ...resources.warnings, ...labels.warnings],
  };
};

/** Validates a Backup spec's filters without throwing. */
export const checkBackupFilters = (discovery: Discovery, spec: BackupFilterSpec): Checked<ResolvedFilters> =>
  check(discovery, spec, "backup");

/** Validates a Restore spec's filters without throwing. */
export const checkRestoreFilters = (
  discovery: Discovery,
  spec: RestoreFilterSpec,
): Checked<ResolvedFilters> => check(discovery, spec, "restore");

/**
 * Validates and resolves a Backup spec's namespace, resource and label filters.
 * @throws ValidationError listing every problem in every field.
 */
export const resolveBackupFilters = (discovery: Discovery, spec: BackupFilterSpec): ResolvedFilters =>
  valueOrThrow(checkBackupFilters(discovery, spec), "backup spec");

/**
 * Validates and resolves a Restore spec's namespace, resource and label filters (namespaces match the
 * backup's original namespaces; never-restored resources are excluded).
 * @throws ValidationError listing every problem in every field.
 */
export const resolveRestoreFilters = (discovery: Discovery, spec: RestoreFilterSpec): ResolvedFilters =>
  valueOrThrow(checkRestoreFilters(discovery, spec), "restore spec");
