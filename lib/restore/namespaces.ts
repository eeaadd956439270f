import type { Cluster } from "../kube/client.ts";
import { createReconciled } from "../kube/create.ts";
import { isAlreadyExists } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { poll, pollDone, pollPending } from "../util/poll.ts";

/** Outcome of making sure a target namespace exists. */
export interface NamespaceOutcome {
  readonly action: "create" | "skip";
  readonly reason: string;
}

/**
 * Creates target namespaces as Velero does (`EnsureNamespaceExistsAndIsReady`): from the backed-up
 * Namespace copying only labels, annotations and spec, under the mapped name; never patched; a
 * terminating namespace is waited out first. Memoized per namespace for one restore.
 */
export const createNamespaceEnsurer = (deps: {
  cluster: Cluster;
  dryRun: boolean;
  signal: AbortSignal;
  /** How long to wait for a terminating namespace to go. */
  terminatingTimeoutMs: number;
  /** The backed-up Namespace object of an original namespace, if the backup has it. */
  backedUp: (originalName: string) => Promise<KubeObject | undefined>;
}) => {
  const pending = new Map<string, Promise<NamespaceOutcome>>();
  /** True when the namespace will exist only after this (dry-run) restore creates it. */
  const plannedOnly = new Set<string>();

  const ensure = async (target: string, original: string): Promise<NamespaceOutcome> => {
    const exists = await poll(
      `namespace ${target} to finish terminating`,
      async () => {
        const live = await deps.cluster.tryGet("namespaces", target, { signal: deps.signal });
        if (!live) return pollDone(false);
        const phase = (live.status as { phase?: string } | undefined)?.phase;
        return phase === "Terminating" ? pollPending(phase) : pollDone(true);
      },
      { intervalMs: 250, timeoutMs: deps.terminatingTimeoutMs, signal: deps.signal },
    );
    if (!exists.done) {
      throw new Error(`namespace ${target} is still terminating after ${deps.terminatingTimeoutMs} ms`);
    }
    if (exists.value) return { action: "skip", reason: "namespace exists" };
    const source = await deps.backedUp(original);
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: target,
        ...(source?.metadata?.labels ? { labels: source.metadata.labels } : {}),
        ...(source?.metadata?.annotations ? { annotations: source.metadata.annotations } : {}),
      },
      ...(source?.spec ? { spec: source.spec } : {}),
    };
    try {
      // it was absent just above, so one found after a lost answer is this create's
      await createReconciled(deps.cluster, "namespaces", object, {
        dryRun: deps.dryRun,
        signal: deps.signal,
        isOurs: () => true,
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      return { action: "skip", reason: "namespace exists" };
    }
    if (deps.dryRun) plannedOnly.add(target);
    return {
      action: "create",
      reason: source ? "from the backed-up namespace" : "not in the backup: created bare",
    };
  };

  return {
    /** Ensures `target` exists (created from `original`'s backed-up object); the first caller decides. */
    ensure(target: string, original: string): Promise<NamespaceOutcome> {
      let outcome = pending.get(target);
      if (!outcome) {
        outcome = ensure(target, original);
        pending.set(target, outcome);
      }
      return outcome;
    },
    /** Whether a dry run only planned to create `target` (so the server cannot validate items in it). */
    isPlannedOnly: (target: string) => plannedOnly.has(target),
  };
};
