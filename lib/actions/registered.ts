/**
 * Process-wide item actions: what a runner script (or any script) registers applies to every backup or
 * restore this process runs afterwards, after the built-ins and before the run's own `actions` — the
 * way Velero's plugins apply to every backup of a server. Kept on `globalThis` under a registered
 * symbol so that scripts importing `stowage` by another path share it.
 */
import { ValidationError } from "../errors.ts";
import { actionNameProblem } from "./names.ts";
import type { BackupItemAction, RestoreItemAction } from "./types.ts";

const KEY = Symbol.for("stowage.actions.registered");
interface Registered {
  backup: BackupItemAction[];
  restore: RestoreItemAction[];
}
type Holder = { [KEY]?: Registered };

const registry = (): Registered => {
  const holder = globalThis as Holder;
  holder[KEY] ??= { backup: [], restore: [] };
  return holder[KEY];
};

const register = <A extends BackupItemAction | RestoreItemAction>(
  list: A[],
  action: A,
  kind: string,
): (() => void) => {
  const problems: string[] = [];
  const name = (action as Partial<A> | undefined)?.name;
  const nameProblem = actionNameProblem(name);
  if (nameProblem) problems.push(`name: ${nameProblem}`);
  if (typeof action?.execute !== "function") {
    problems.push(`execute: expected a function (input) => output, received ${typeof action?.execute}`);
  }
  if (list.some((a) => a.name === name)) {
    problems.push(
      `an action named "${String(name)}" is already registered: names must be unique; rename one`,
    );
  }
  if (problems.length > 0) throw new ValidationError(problems, `${kind} item action "${String(name)}"`);
  list.push(action);
  return () => {
    const index = list.indexOf(action);
    if (index >= 0) list.splice(index, 1);
  };
};

/**
 * Registers a backup item action for every later `backup()` of this process (unless the backup passes
 * `registeredActions: false`). Returns a function that unregisters it. Throws a ValidationError for a
 * bad name, a missing `execute`, or a name already registered.
 */
export const registerBackupItemAction = (action: BackupItemAction): (() => void) =>
  register(registry().backup, action, "backup");

/** Registers a restore item action for every later `restore()` of this process; see {@link registerBackupItemAction}. */
export const registerRestoreItemAction = (action: RestoreItemAction): (() => void) =>
  register(registry().restore, action, "restore");

/** The registered backup item actions, in registration order. */
export const registeredBackupItemActions = (): readonly BackupItemAction[] => [...registry().backup];

/** The registered restore item actions, in registration order. */
export const registeredRestoreItemActions = (): readonly RestoreItemAction[] => [...registry().restore];

/** @internal How many actions are registered now, for {@link rollbackRegisteredActions}. */
export const registeredActionsMark = (): { backup: number; restore: number } => ({
  backup: registry().backup.length,
  restore: registry().restore.length,
});

/** @internal Drops the actions registered after `mark` (a script that failed to load). Returns how many. */
export const rollbackRegisteredActions = (mark: { backup: number; restore: number }): number => {
  const { backup, restore } = registry();
  return backup.splice(mark.backup).length + restore.splice(mark.restore).length;
};
