import { AbortError } from "../errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { cloneJson } from "./clone.ts";
import { checkOutput, errorMessage, type Identity, SKIP_FROM_BACKUP } from "./output.ts";
import { labelSelectorOf } from "./registry.ts";
import type {
  BackupItemAction,
  BackupItemActionInput,
  ResourceIdentifier,
  RestoreItemAction,
  RestoreItemActionInput,
} from "./types.ts";

/** An action that threw or returned something invalid: an item error, not a crash. */
export interface ActionFailure {
  readonly action: string;
  /** `<groupResource> <ns>/<name>: action <action> failed: <message>` */
  readonly message: string;
  /** What the action threw (or undefined for an invalid result). */
  readonly cause: unknown;
}

/** An action asked for the item to be left out (restore `skip`, backup `velero.io/skip-from-backup`). */
export interface ActionSkip {
  readonly action: string;
  readonly reason: string;
}

/** An additional item, with the action that asked for it. */
export interface AdditionalItem extends ResourceIdentifier {
  readonly action: string;
}

/** A backup additional item; `mustInclude` bypasses the backup's filters (Velero's annotation). */
export interface BackupAdditionalItem extends AdditionalItem {
  /** The action returned its item annotated `backup.velero.io/must-include-additional-items: "true"`. */
  readonly mustInclude: boolean;
}

interface Outcome<T> {
  /**
   * The item after every action. When an action fails, the caller's item as it was given (never
   * half-mutated); Velero then neither writes nor restores the item.
   */
  readonly item: KubeObject;
  /** Additional items in order, including those of actions that ran before a failure or a skip. */
  readonly additionalItems: readonly T[];
  /** At most one entry: the chain stops at the first failing action, as in Velero. */
  readonly errors: readonly ActionFailure[];
  /** Set when an action skipped the item; the chain stopped there and that action's additional items are dropped. */
  readonly skip?: ActionSkip;
  /** Names of the actions that ran, in order. */
  readonly ran: readonly string[];
}

export type BackupActionsOutcome = Outcome<BackupAdditionalItem>;
export type RestoreActionsOutcome = Outcome<AdditionalItem>;

/** Input of {@link runBackupActions}: what every action gets, plus the item's group-resource for messages. */
export interface RunBackupActionsInput extends BackupItemActionInput {
  /** Velero's group-resource string, used in error messages. @default the item's kind */
  readonly groupResource?: string;
  /**
   * Run the chain on a deep copy of `item`, so the caller's object is never modified. `false` lets the
   * actions work on `item` itself, saving a copy per item, for a caller that discards `item` after the
   * chain (the backup engine writes the chain's result or nothing); a failed chain's `item` may then be
   * half-modified.
   * @default true
   */
  readonly copyItem?: boolean;
}

/** Input of {@link runRestoreActions}. */
export interface RunRestoreActionsInput extends RestoreItemActionInput {
  /** Velero's group-resource string, used in error messages. @default the item's kind */
  readonly groupResource?: string;
}

const MUST_INCLUDE = "backup.velero.io/must-include-additional-items";

interface ChainInput {
  readonly item: KubeObject;
  readonly groupResource?: string;
  readonly signal: AbortSignal;
  readonly copyItem?: boolean;
}

/** Calls one action on the current item (one function per chain: no closure per action and item). */
type Execute = (action: BackupItemAction | RestoreItemAction, item: KubeObject) => unknown;

/** The result of an action that handed back the item it was given, unrenamed: nothing else to check. */
const SAME_ITEM = Object.freeze({ item: undefined, additionalItems: Object.freeze([]), skip: false });

/**
 * The common case, checked without allocating: the action returned `{ item }` with the very object it
 * was given (changed in place or not) and its name, namespace and kind are the item's own. Anything
 * else goes through {@link checkOutput}, which also explains what is wrong.
 */
const returnsSameItem = (output: unknown, current: KubeObject, identity: Identity): boolean => {
  if (typeof output !== "object" || output === null) return false;
  for (const key in output) if (key !== "item") return false;
  if ((output as { item?: unknown }).item !== current) return false;
  const meta = current.metadata;
  const name = meta?.name;
  return (
    typeof name === "string" &&
    name !== "" &&
    name === identity.name &&
    (typeof meta?.namespace === "string" ? meta.namespace : "") === identity.namespace &&
    (identity.kind === undefined || current.kind === identity.kind)
  );
};

/** `<groupResource> <ns>/<name>`, for messages; built only when one is needed. */
const describeItem = (input: ChainInput, identity: Identity): string =>
  `${input.groupResource ?? identity.kind ?? "item"} ${identity.namespace ? `${identity.namespace}/` : ""}${identity.name ?? "<no name>"}`;

const runChain = async <T extends AdditionalItem>(
  actions: readonly (BackupItemAction | RestoreItemAction)[],
  input: ChainInput,
  mode: "backup" | "restore",
  execute: Execute,
): Promise<Outcome<T>> => {
  const original = input.item;
  const meta = original.metadata;
  const identity: Identity = {
    name: meta?.name,
    namespace: meta?.namespace ?? "",
    kind: typeof original.kind === "string" ? original.kind : undefined,
  };
  const additionalItems: T[] = [];
  const ran: string[] = [];
  const fail = (action: string, message: string, cause: unknown): Outcome<T> => ({
    item: original,
    additionalItems,
    errors: [{ action, message: `${describeItem(input, identity)}: action ${action} ${message}`, cause }],
    ran,
  });
  if (actions.length === 0) return { item: original, additionalItems, errors: [], ran };

  let current = original;
  if (input.copyItem !== false) {
    try {
      current = cloneJson(original);
    } catch (error) {
      return fail(actions[0]!.name, `was not run: the item is not JSON data (${errorMessage(error)})`, error);
    }
  }

  for (const action of actions) {
    if (input.signal.aborted) {
      throw new AbortError(`aborted before action ${action.name} on ${describeItem(input, identity)}`, {
        cause: input.signal.reason,
      });
    }
    if (mode === "restore") {
      const selector = labelSelectorOf.get(action);
      if (selector && !selector.matches(current.metadata?.labels)) continue;
    }
    ran.push(action.name);
    let output: unknown;
    try {
      const result = execute(action, current);
      output =
        typeof (result as PromiseLike<unknown> | undefined)?.then === "function" ? await result : result;
    } catch (error) {
      if (input.signal.aborted) {
        throw new AbortError(`aborted in action ${action.name} on ${describeItem(input, identity)}`, {
          cause: error,
        });
      }
      return fail(action.name, `failed: ${errorMessage(error)}`, error);
    }
    const checked = returnsSameItem(output, current, identity)
      ? SAME_ITEM
      : checkOutput(output, identity, mode === "restore");
    if (typeof checked === "string")
      return fail(action.name, `returned an invalid result: ${checked}`, undefined);
    if (checked.item) current = checked.item;

    if (mode === "restore" && (checked.skip === true || typeof checked.skip === "string")) {
      const reason =
        typeof checked.skip === "string" && checked.skip !== "" ? checked.skip : `skipped by ${action.name}`;
      return { item: current, additionalItems, errors: [], skip: { action: action.name, reason }, ran };
    }
    const annotations = current.metadata?.annotations;
    let mustInclude = false;
    if (mode === "backup" && annotations) {
      if (Object.hasOwn(annotations, SKIP_FROM_BACKUP)) {
        const reason = `${action.name} annotated the item ${SKIP_FROM_BACKUP}`;
        return { item: current, additionalItems, errors: [], skip: { action: action.name, reason }, ran };
      }
      if (Object.hasOwn(annotations, MUST_INCLUDE)) {
        mustInclude = annotations[MUST_INCLUDE] === "true";
        delete annotations[MUST_INCLUDE];
      }
    }
    for (const a of checked.additionalItems) {
      additionalItems.push(
        (mode === "backup" ? { ...a, action: action.name, mustInclude } : { ...a, action: action.name }) as T,
      );
    }
  }
  return { item: current, additionalItems, errors: [], ran };
};

/**
 * Runs backup item actions on one item, in order; each gets the previous one's output.
 *
 * - The caller's item is never modified (unless `copyItem: false`): the chain works on a deep copy, so
 *   an action may mutate `input.item` in place or return a new object.
 * - An action that throws, or returns something unusable (an item without `metadata.name`, a renamed
 *   or moved item, another kind, malformed `additionalItems`), becomes one entry in `errors` naming the
 *   action and the item, and the chain stops (Velero does not write such an item).
 * - An action whose returned item carries `velero.io/skip-from-backup` stops the chain with `skip`.
 * - `backup.velero.io/must-include-additional-items: "true"` on a returned item marks that action's
 *   additional items `mustInclude` and is removed from the item.
 *
 * @throws AbortError when `input.signal` is aborted
 */
export const runBackupActions = (
  actions: readonly BackupItemAction[],
  input: RunBackupActionsInput,
): Promise<BackupActionsOutcome> => {
  const { backup, log, cluster, signal } = input;
  return runChain<BackupAdditionalItem>(actions, input, "backup", (action, item) =>
    (action as BackupItemAction).execute({ item, backup, log, cluster, signal }),
  );
};

/**
 * Runs restore item actions on one item, in order; each gets the previous one's output and a pristine
 * copy of the item from the backup. Same failure rules as {@link runBackupActions}; an action returning
 * `skip` stops the chain. An action with a label selector is re-checked against the item's current
 * labels before it runs, as Velero's restore does.
 *
 * @throws AbortError when `input.signal` is aborted
 */
export const runRestoreActions = (
  actions: readonly RestoreItemAction[],
  input: RunRestoreActionsInput,
): Promise<RestoreActionsOutcome> => {
  const { restore, log, cluster, signal, itemFromBackup } = input;
  // each action gets its own copy of the backed-up item, so none can change what the next one sees
  return runChain<AdditionalItem>(actions, input, "restore", (action, item) =>
    (action as RestoreItemAction).execute({
      item,
      itemFromBackup: cloneJson(itemFromBackup),
      restore,
      log,
      cluster,
      signal,
    }),
  );
};
