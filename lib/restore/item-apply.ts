/**
 * The apply stage of an item's restore: create it in its target namespace, and when it already exists,
 * Velero's rules — identical objects are skipped, ServiceAccounts merged, others merge-patched under
 * `existingResourcePolicy: update` or left alone with a warning.
 */

import type { Cluster } from "../kube/client.ts";
import { createReconciled } from "../kube/create.ts";
import type { ApiResource } from "../kube/discovery.ts";
import { isAlreadyExists, KubeApiError } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import type { createNamespaceEnsurer } from "./namespaces.ts";
import { BACKUP_NAME_LABEL, isIdentical, RESTORE_NAME_LABEL } from "./reset.ts";
import { Verdict } from "./verdict.ts";

/** What the apply stage needs from the restore. */
export interface ApplyDeps {
  readonly cluster: Cluster;
  readonly log: RunLog;
  readonly namespaces: ReturnType<typeof createNamespaceEnsurer>;
  readonly dryRun: boolean;
  readonly policy: "none" | "update";
  readonly signal: AbortSignal;
  /** The backup's and the restore's names (the restore labels compared for "identical"). */
  readonly restore: { readonly backupName: string; readonly name: string };
}

/** The item being applied. */
export interface ApplyTarget {
  readonly resource: ApiResource;
  readonly groupResource: string;
  /** Its name in the cluster (a PV may be renamed). */
  readonly name: string;
  readonly sourceNs: string | undefined;
  readonly targetNs: string | undefined;
  /** The backed-up item's kind, for messages. */
  readonly kind: string | undefined;
  /** Log fields naming the item. */
  readonly fields: Record<string, unknown>;
}

/** A ServiceAccount merge: labels and annotations overlaid, secrets and imagePullSecrets united. */
export const mergeServiceAccount = (live: KubeObject, desired: KubeObject) => {
  const union = (a: unknown, b: unknown) => {
    const out = [...((a as unknown[]) ?? [])];
    for (const v of (b as unknown[]) ?? [])
      if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
    return out;
  };
  return {
    metadata: {
      labels: { ...live.metadata?.labels, ...desired.metadata?.labels },
      annotations: { ...live.metadata?.annotations, ...desired.metadata?.annotations },
    },
    secrets: union(live.secrets, desired.secrets),
    imagePullSecrets: union(live.imagePullSecrets, desired.imagePullSecrets),
  };
};

/**
 * True when `live` was created by this restore: it carries the restore labels `object` was given
 * (restore names are unique, so no other restore's object and no pre-existing one has them).
 */
const madeByThisRestore = (live: KubeObject, object: KubeObject): boolean => {
  const want = object.metadata?.labels ?? {};
  const have = live.metadata?.labels ?? {};
  return (
    want[RESTORE_NAME_LABEL] !== undefined &&
    have[RESTORE_NAME_LABEL] === want[RESTORE_NAME_LABEL] &&
    have[BACKUP_NAME_LABEL] === want[BACKUP_NAME_LABEL]
  );
};

/**
 * Creates `object` (a dry run asks the server to validate it), its target namespace first. Returns
 * undefined once it is created, else how the item ended (exists, failed, or not validated in a dry run).
 * A create whose answer was lost is read back: found with this restore's labels it is created (its
 * status and CRD wait follow); absent it is created again; otherwise it existed before, as on a 409.
 */
export const applyItem = async (
  deps: ApplyDeps,
  target: ApplyTarget,
  object: KubeObject,
): Promise<Verdict | undefined> => {
  const { cluster, log } = deps;
  if (target.targetNs !== undefined) {
    await deps.namespaces.ensure(target.targetNs, target.sourceNs!);
    if (deps.dryRun && deps.namespaces.isPlannedOnly(target.targetNs)) {
      return new Verdict(
        "create",
        `namespace ${target.targetNs} is created by this restore, so the server cannot dry-run this object yet`,
      );
    }
  }
  try {
    const { adopted } = await createReconciled(cluster, target.resource, object, {
      namespace: target.targetNs,
      dryRun: deps.dryRun,
      signal: deps.signal,
      isOurs: (live) => madeByThisRestore(live, object),
    });
    if (adopted) log.info("the create's answer was lost; read back, it was created", target.fields);
    return undefined;
  } catch (error) {
    const portTaken =
      target.groupResource === "services" &&
      error instanceof KubeApiError &&
      /provided port is already allocated/.test(error.message);
    if (!isAlreadyExists(error) && !portTaken) {
      if (deps.dryRun && error instanceof KubeApiError && error.status === 404) {
        return new Verdict(
          "create",
          "its resource or namespace is created by this restore, so the server cannot dry-run it yet",
        );
      }
      log.error("error restoring item", { ...target.fields, error: (error as Error).message });
      return new Verdict("fail", (error as Error).message);
    }
    const live = await cluster.tryGet(target.resource, target.name, {
      namespace: target.targetNs,
      signal: deps.signal,
    });
    if (!live) {
      log.error("error restoring item", { ...target.fields, error: (error as Error).message });
      return new Verdict("fail", (error as Error).message);
    }
    return applyExisting(deps, target, object, live);
  }
};

/** Velero's rules for an item that exists in the cluster (`live`). */
const applyExisting = async (
  deps: ApplyDeps,
  target: ApplyTarget,
  object: KubeObject,
  live: KubeObject,
): Promise<Verdict> => {
  const { cluster, log } = deps;
  const patchOptions = { namespace: target.targetNs, dryRun: deps.dryRun };
  if (isIdentical(live, object, deps.restore.backupName, deps.restore.name)) {
    if (deps.policy === "update") {
      await cluster.patch(
        target.resource,
        target.name,
        { metadata: { labels: object.metadata?.labels } },
        patchOptions,
      );
    }
    return new Verdict("skip", "identical to the backed-up version");
  }
  if (target.groupResource === "serviceaccounts") {
    await cluster.patch(target.resource, target.name, mergeServiceAccount(live, object), patchOptions);
    return new Verdict("update", "ServiceAccounts are merged");
  }
  if (deps.policy === "update") {
    try {
      const { metadata, ...rest } = object;
      await cluster.patch(
        target.resource,
        target.name,
        { ...rest, metadata: { labels: metadata?.labels, annotations: metadata?.annotations } },
        patchOptions,
      );
      return new Verdict("update", "exists and differs: merge-patched (existingResourcePolicy update)");
    } catch (patchError) {
      log.warn(
        `could not update ${target.kind} "${target.name}": ${(patchError as Error).message}`,
        target.fields,
      );
      return new Verdict("conflict", `update failed: ${(patchError as Error).message}`);
    }
  }
  log.warn(
    `could not restore, ${target.kind} "${target.name}" already exists. Warning: the in-cluster version is different than the backed-up version`,
    target.fields,
  );
  return new Verdict("conflict", "exists and differs from the backed-up version");
};
