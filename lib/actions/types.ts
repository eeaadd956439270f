import type { Cluster } from "../kube/client.ts";
import type { KubeObject } from "../kube/types.ts";

/**
 * Which items an action applies to (Velero's ResourceSelector). Every field is optional; an empty
 * selector applies to everything.
 */
export interface ResourceSelector {
  /**
   * Namespace globs the item must be in (`includedNamespaces`). As in Velero, an action with any namespace
   * filter (this other than `["*"]`, or `excludedNamespaces`) does not apply to cluster-scoped items.
   * @default all
   */
  readonly namespaces?: readonly string[];
  /** Namespace globs to skip. @default none */
  readonly excludedNamespaces?: readonly string[];
  /** Resources in any name form (`pods`, `deploy`, `deployments.apps`, `Deployment`). @default all */
  readonly resources?: readonly string[];
  /** Resources to skip. @default none */
  readonly excludedResources?: readonly string[];
  /** Label selector in `kubectl -l` syntax, matched on the item's current labels. @default everything */
  readonly labelSelector?: string;
}

/** An item another item depends on (Velero's ResourceIdentifier). */
export interface ResourceIdentifier {
  /** Any name discovery resolves: `persistentvolumes`, `pv`, `clusterroles.rbac.authorization.k8s.io`. */
  readonly resource: string;
  /** Omit for cluster-scoped items. */
  readonly namespace?: string;
  readonly name: string;
}

/** Where an action writes its log lines; they land in the backup's or restore's log. */
export interface ActionLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  /** An error line makes the run PartiallyFailed, as in Velero. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What an item action knows about the backup or restore it runs in. */
export interface RunInfo {
  /** The backup's or restore's name. */
  readonly name: string;
  /** The backup's or restore's spec (a backup's as it will be written to `velero-backup.json`). */
  readonly spec: Readonly<Record<string, unknown>>;
}

/** What a backup action knows about the backup it runs in. */
export interface BackupInfo extends RunInfo {
  /** The backup's labels. */
  readonly labels: Readonly<Record<string, string>>;
}

/** What a restore action knows about the restore it runs in. */
export interface RestoreInfo extends RunInfo {
  /** The name of the backup being restored. */
  readonly backupName: string;
  /** Namespace mapping `<namespace in the backup>: <namespace restored into>`. */
  readonly namespaceMapping: Readonly<Record<string, string>>;
}

/** What every item action is given, in a backup and in a restore. */
export interface ItemActionInput {
  /**
   * The item with earlier actions applied (in a restore also: metadata reset, target namespace set); the
   * action may change it in place or return a modified copy. It is the run's own deep copy: a failing
   * action never leaves a half-changed item behind.
   */
  readonly item: KubeObject;
  /** Where the action's log lines go: the backup's or restore's log. */
  readonly log: ActionLogger;
  /** The cluster being backed up or restored into, for lookups (e.g. a ServiceAccount's ClusterRoleBindings). */
  readonly cluster: Cluster;
  /** Aborted when the run is cancelled: pass it to cluster calls. */
  readonly signal: AbortSignal;
}

/** What a backup item action is given. */
export interface BackupItemActionInput extends ItemActionInput {
  /** The backup the item is part of. */
  readonly backup: BackupInfo;
}

/** What a restore item action is given. */
export interface RestoreItemActionInput extends ItemActionInput {
  /** The item exactly as it is in the backup. */
  readonly itemFromBackup: KubeObject;
  /** The restore the item is part of. */
  readonly restore: RestoreInfo;
}

/** What every item action may return. */
export interface ItemActionOutput {
  /** The item to write or create instead of the input. @default the input item */
  readonly item?: KubeObject;
  /**
   * Items to handle first. A backup fetches them live from the cluster; a restore takes them from the
   * backup, with namespaces as in the backup (the restore maps them).
   * @default none
   */
  readonly additionalItems?: readonly ResourceIdentifier[];
}

/** What a backup item action may return. */
export interface BackupItemActionOutput extends ItemActionOutput {}

/** What a restore item action may return. */
export interface RestoreItemActionOutput extends ItemActionOutput {
  /** Skip this item; a string is logged as the reason. @default false */
  readonly skip?: boolean | string;
}

/**
 * An item action: a plain function plus the selector of items it applies to, given `Input` and
 * returning `Output`, nothing, or a promise of either.
 */
export interface ItemAction<Input extends ItemActionInput, Output extends ItemActionOutput> {
  /** `<dns-subdomain>/<name>`, e.g. `example.io/redact-secrets`. */
  readonly name: string;
  /** The items the action applies to. @default every item */
  readonly appliesTo?: ResourceSelector;
  /** Called once per item the action applies to. */
  execute(
    input: Input,
    // biome-ignore lint/suspicious/noConfusingVoidType: an action may return nothing (a plain `void` function)
  ): Output | undefined | void | Promise<Output | undefined | void>;
}

/** A backup item action, e.g. `example.io/redact-secrets`. */
export interface BackupItemAction extends ItemAction<BackupItemActionInput, BackupItemActionOutput> {}

/** A restore item action, e.g. `example.io/change-storage-class`. */
export interface RestoreItemAction extends ItemAction<RestoreItemActionInput, RestoreItemActionOutput> {}
