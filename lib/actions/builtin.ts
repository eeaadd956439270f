/**
 * The slot through which the built-in item actions reach the backup and restore engines. The engines
 * read it; the front door (`lib/index.ts`, the composition root) fills it with Stowage's built-ins, the
 * same way a user's actions arrive through the registry. Until it is filled there are no built-ins, so
 * the engines never depend on their own plug-ins.
 */
import type { BackupItemAction, RestoreItemAction } from "./types.ts";

/** Options the restore engine hands to the built-in restore actions. */
export interface BuiltinRestoreActionsOptions {
  /**
   * Namespace of the plugin ConfigMaps (labelled `velero.io/plugin-config` or `stowage.dev/plugin-config`,
   * plus `<action name>: RestoreItemAction`) that configure `velero.io/change-storage-class` and
   * `velero.io/change-image-name`. Velero reads its own namespace (usually `velero`).
   * @default undefined: no ConfigMap is read and those two actions only use the mappings below
   */
  readonly pluginConfigNamespace?: string | undefined;
  /**
   * Storage class mapping `<old>: <new>`, instead of the ConfigMap.
   * @default read from the plugin ConfigMap
   */
  readonly storageClassMapping?: Readonly<Record<string, string>> | undefined;
  /**
   * Image name part replacements `<old part>: <new part>`, instead of the ConfigMap.
   * @default read from the plugin ConfigMap
   */
  readonly imageNameMapping?: Readonly<Record<string, string>> | undefined;
}

/** Factories of the built-in actions: called once per backup or restore, so every run gets fresh instances. */
export interface BuiltinActions {
  /** The built-in backup item actions, in the order they run. */
  readonly backup: () => BackupItemAction[];
  /** The built-in restore item actions, in the order they run. */
  readonly restore: (options: BuiltinRestoreActionsOptions) => RestoreItemAction[];
}

const NONE: BuiltinActions = { backup: () => [], restore: () => [] };
let builtins: BuiltinActions = NONE;

/** Installs the built-in actions for every later backup and restore of this process (the composition root calls it). */
export const setBuiltinActions = (actions: BuiltinActions): void => {
  builtins = actions;
};

/** Fresh instances of the installed built-in backup actions. @default none, until {@link setBuiltinActions} */
export const builtinBackupActions = (): BackupItemAction[] => builtins.backup();

/** Fresh instances of the installed built-in restore actions. @default none, until {@link setBuiltinActions} */
export const builtinRestoreActions = (options: BuiltinRestoreActionsOptions = {}): RestoreItemAction[] =>
  builtins.restore(options);
