/**
 * Backup and restore filters with Velero's semantics: namespace globs, resource lists resolved through
 * discovery, old vs new (scoped) filters and the cluster-scoped tri-state, collection order, label
 * selectors, and what a restore never creates.
 */

export type { Checked } from "./checked.ts";
export {
  COHABITING_RESOURCES,
  type CollectionOptions,
  collectionOrder,
  REQUIRED_VERBS,
  selectForCollection,
} from "./collection.ts";
export { compileGlob, GlobSyntaxError, isGlob } from "./glob-match.ts";
export {
  checkNamespaceFilter,
  createNamespaceFilter,
  type NamespaceExpansion,
  type NamespaceFilter,
  type NamespaceFilterOptions,
} from "./globs.ts";
export { LabelSyntaxError } from "./label-parser.ts";
export {
  type CompiledLabelSelector,
  checkLabelSelection,
  checkLabelSelector,
  compileLabelSelector,
  createLabelSelection,
  formatLabelSelector,
  type LabelRequirement,
  type LabelSelection,
  type LabelSelectionOptions,
  type LabelSelectorInput,
  type LabelSelectorLike,
  type LabelSelectorOperator,
  type LabelSelectorRequirementLike,
  type Labels,
  labelsProblems,
  matchesLabels,
  parseLabelSelector,
} from "./labels.ts";
export {
  ALWAYS_RESTORED_RESOURCES,
  isAlwaysRestored,
  isNeverRestored,
  MIRROR_POD_ANNOTATION,
  NEVER_RESTORED_RESOURCES,
  type RestoreCandidate,
  restoreSkipReason,
} from "./never-restored.ts";
export {
  type BackupFilterSpec,
  checkBackupFilters,
  checkRestoreFilters,
  type NamespaceFilterSpec,
  type ResolvedFilters,
  type RestoreFilterSpec,
  resolveBackupFilters,
  resolveRestoreFilters,
} from "./resolve.ts";
export {
  checkResourceIncludesExcludes,
  createResourceIncludesExcludes,
  type ResolvedResourceName,
  type ResourceIncludesExcludes,
  type ResourceListsOptions,
  resolveResourceName,
} from "./resources.ts";
export {
  checkResourceFilter,
  createResourceFilter,
  type FilterStyle,
  type InclusionDecision,
  type ResourceFilter,
  type ResourceFilterLists,
  type ResourceFilterOptions,
  type ResourceFilterSpec,
  type ResourceScope,
  usesOldResourceFilters,
} from "./scope.ts";
