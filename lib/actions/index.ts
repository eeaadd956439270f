/**
 * Item actions: their contract (types), the helpers actions share, the registry, the slot for the
 * built-ins, and the runner that applies a chain of actions to one item. Stowage's built-in actions
 * depend on this module only.
 */
export type { Cluster } from "../kube/client.ts";
export type { KubeObject } from "../kube/types.ts";
export {
  type BuiltinActions,
  type BuiltinRestoreActionsOptions,
  builtinBackupActions,
  builtinRestoreActions,
  setBuiltinActions,
} from "./builtin.ts";
export { cloneJson } from "./clone.ts";
export { isRecord, type Json } from "./json.ts";
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
export type * from "./types.ts";
