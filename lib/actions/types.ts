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

/** What a backup action knows about the backup it runs in. */
export interface BackupInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The backup's spec as it will be written to velero-backup.json. */
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface BackupItemActionInput {
  /**
   * The item (already mutated by earlier actions); the action may change it in place or return a modified
   * copy. It is the run's own deep copy: a failing action never leaves a half-changed item behind.
   */
  readonly item: KubeObject;
  readonly backup: BackupInfo;
  readonly log: ActionLogger;
  /** The cluster being backed up, for lookups (e.g. a ServiceAccount's ClusterRoleBindings). */
  readonly cluster: Cluster;
  readonly signal: AbortSignal;
}

export interface BackupItemActionOutput {
  /** The item to write instead of the input. @default the input item */
  readonly item?: KubeObject;
  /** Items to back up too (before this one), fetched live from the cluster. */
  readonly additionalItems?: readonly ResourceIdentifier[];
}

/** A backup item action: a plain function plus the selector of items it applies to. */
export interface BackupItemAction {
  /** `<dns-subdomain>/<name>`, e.g. `example.io/redact-secrets`. */
  readonly name: string;
  readonly appliesTo?: ResourceSelector;
  execute(
    input: BackupItemActionInput,
    // biome-ignore lint/suspicious/noConfusingVoidType: an action may return nothing (a plain `void` function)
  ): BackupItemActionOutput | undefined | void | Promise<BackupItemActionOutput | undefined | void>;
}

/** What a restore action knows about the restore it runs in. */
export interface RestoreInfo {
  readonly name: string;
  readonly backupName: string;
  readonly namespaceMapping: Readonly<Record<string, string>>;
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface RestoreItemActionInput {
  /** The item about to be created: metadata already reset, earlier actions applied, target namespace set. */
  readonly item: KubeObject;
  /** The item exactly as it is in the backup. */
  readonly itemFromBackup: KubeObject;
  readonly restore: RestoreInfo;
  readonly log: ActionLogger;
  readonly cluster: Cluster;
  readonly signal: AbortSignal;
}

export interface RestoreItemActionOutput {
  /** The item to create instead of the input. @default the input item */
  readonly item?: KubeObject;
  /** Items from the backup to restore first, with namespaces as in the backup (the restore maps them). */
  readonly additionalItems?: readonly ResourceIdentifier[];
  /** Skip this item; a string is logged as the reason. @default false */
  readonly skip?: boolean | string;
}

/** A restore item action: a plain function plus the selector of items it applies to. */
export interface RestoreItemAction {
  /** `<dns-subdomain>/<name>`, e.g. `example.io/change-storage-class`. */
  readonly name: string;
  readonly appliesTo?: ResourceSelector;
  execute(
    input: RestoreItemActionInput,
    // biome-ignore lint/suspicious/noConfusingVoidType: an action may return nothing (a plain `void` function)
  ): RestoreItemActionOutput | undefined | void | Promise<RestoreItemActionOutput | undefined | void>;
}
