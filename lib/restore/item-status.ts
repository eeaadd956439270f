/**
 * The status stage of an item's restore, after it is created: its backed-up `status` written back
 * through the status subresource (for the resources `restoreStatus` names), and a restored CRD waited
 * for until it is Established, so its custom resources can be created next.
 */

import type { Cluster } from "../kube/client.ts";
import type { ApiResource } from "../kube/discovery.ts";
import { CRD_GROUP_RESOURCE } from "../kube/group-resources.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { poll, pollDone, pollPending } from "../util/poll.ts";

/** Poll interval of the wait for a restored CRD to be Established. */
const CRD_POLL_INTERVAL_MS = 100;

/** What the status stage needs from the restore. */
export interface StatusDeps {
  readonly cluster: Cluster;
  readonly log: RunLog;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  /** How long a restored CRD is waited for. */
  readonly crdTimeoutMs: number;
  /** Whether items of a group-resource get their status back. */
  restoreStatus(groupResource: string): boolean;
}

/** The created item. */
export interface StatusTarget {
  readonly resource: ApiResource;
  readonly groupResource: string;
  readonly name: string;
  readonly targetNs: string | undefined;
  /** The backed-up status; undefined when the item had none. */
  readonly status: unknown;
  /** Log fields naming the item. */
  readonly fields: Record<string, unknown>;
}

/** Writes back the status and waits for CRDs; nothing in a dry run. Failures are warnings. */
export const restoreItemStatus = async (deps: StatusDeps, target: StatusTarget): Promise<void> => {
  if (deps.dryRun) return;
  const { cluster } = deps;
  if (target.status !== undefined && deps.restoreStatus(target.groupResource)) {
    try {
      const current = await cluster.get(target.resource, target.name, { namespace: target.targetNs });
      await cluster.update(
        target.resource,
        { ...current, status: target.status },
        { namespace: target.targetNs, subresource: "status" },
      );
    } catch (error) {
      deps.log.warn(`could not restore the status: ${(error as Error).message}`, target.fields);
    }
  }
  if (target.groupResource === CRD_GROUP_RESOURCE) await waitForCrd(deps, target.name);
};

/** Waits until CRD `name` is Established; warns (does not fail) when `crdTimeoutMs` passes first. */
const waitForCrd = async (deps: StatusDeps, name: string): Promise<void> => {
  const established = await poll(
    `CRD ${name} to be Established`,
    async () => {
      const crd: KubeObject | undefined = await deps.cluster.tryGet(CRD_GROUP_RESOURCE, name, {
        signal: deps.signal,
      });
      const conditions = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)
        ?.conditions;
      return conditions?.some((c) => c.type === "Established" && c.status === "True")
        ? pollDone(true)
        : pollPending("not Established");
    },
    { intervalMs: CRD_POLL_INTERVAL_MS, timeoutMs: deps.crdTimeoutMs, signal: deps.signal },
  );
  if (!established.done) {
    deps.log.warn(`CRD ${name} was not Established within ${deps.crdTimeoutMs} ms`, {
      resource: CRD_GROUP_RESOURCE,
      name,
    });
  }
};
