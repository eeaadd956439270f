export { cloneJson } from "./clone.ts";
export { type LabelRequirement, type LabelSelector, parseLabelSelector } from "./labels.ts";
export { actionNameProblem } from "./names.ts";
export {
  type ActionItemRef,
  type ActionSet,
  resolveActions,
  type SkipReason,
  type SkipReasonKind,
} from "./registry.ts";
export {
  type ActionFailure,
  type ActionSkip,
  type AdditionalItem,
  type BackupActionsOutcome,
  type BackupAdditionalItem,
  type RestoreActionsOutcome,
  type RunBackupActionsInput,
  type RunRestoreActionsInput,
  runBackupActions,
  runRestoreActions,
} from "./run.ts";
export type {
  ActionLogger,
  BackupInfo,
  BackupItemAction,
  BackupItemActionInput,
  BackupItemActionOutput,
  ResourceIdentifier,
  ResourceSelector,
  RestoreInfo,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionOutput,
} from "./types.ts";
