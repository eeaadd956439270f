/**
 * The parts of the Job driver that talk to the apiserver around a Job: the backend Secret, and waiting
 * for the Job's Complete/Failed condition and reading its container's termination message.
 */
import { createHash } from "node:crypto";
import { AbortError, StowageError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { createReconciled } from "../kube/create.ts";
import { isAlreadyExists } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { sleep } from "../util/poll.ts";
import type { Repository } from "./driver.ts";

/** The finished container of a Job: its exit code and termination message. */
export interface JobOutcome {
  readonly jobName: string;
  readonly exitCode: number;
  readonly message: string;
  readonly node: string | undefined;
}

const conditionTrue = (job: KubeObject, type: string): { reason?: string; message?: string } | undefined =>
  (
    (
      job.status as {
        conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
      }
    )?.conditions ?? []
  ).find((c) => c.type === type && c.status === "True");

/**
 * A creator of Secrets holding a backend's secret variables (AWS keys) in `namespace`, each named after
 * their hash and created once (an existing one is reused); undefined for backends without secrets.
 */
export const createBackendSecrets = (cluster: Cluster, namespace: string) => {
  const backendSecrets = new Map<string, Promise<string>>();
  return (repository: Repository): Promise<string> | undefined => {
    const secretEnv = repository.address.secretEnv;
    const names = Object.keys(secretEnv).sort();
    if (names.length === 0) return undefined;
    const hash = createHash("sha256")
      .update(JSON.stringify(names.map((n) => [n, secretEnv[n]])))
      .digest("hex")
      .slice(0, 12);
    const name = `stowage-restic-backend-${hash}`;
    let pending = backendSecrets.get(name);
    if (!pending) {
      // named after its content's hash, so one found after a lost answer holds the same data
      pending = createReconciled(
        cluster,
        "secrets",
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "stowage" } },
          type: "Opaque",
          data: Object.fromEntries(
            names.map((n) => [n, Buffer.from(secretEnv[n]!, "utf8").toString("base64")]),
          ),
        },
        { namespace, isOurs: () => true },
      ).then(
        () => name,
        (error: unknown) => {
          if (isAlreadyExists(error)) return name;
          backendSecrets.delete(name);
          throw error;
        },
      );
      backendSecrets.set(name, pending);
    }
    return pending;
  };
};

/** Waits for Job `name` to complete or fail; the outcome of its container. */
export const waitForJob = async (
  cluster: Cluster,
  name: string,
  options: {
    readonly namespace: string;
    readonly timeoutMs: number;
    readonly pollMs: number;
    readonly image: string;
  },
  signal: AbortSignal | undefined,
): Promise<JobOutcome> => {
  const { namespace, timeoutMs, pollMs } = options;
  const deadline = Date.now() + timeoutMs + 60_000;
  let lastWaiting = "";
  for (;;) {
    if (signal?.aborted) throw new AbortError(`restic Job ${namespace}/${name} was cancelled`);
    const job = await cluster.get("jobs.batch", name, { namespace });
    const complete = conditionTrue(job, "Complete");
    const failed = conditionTrue(job, "Failed");
    if (complete || failed) {
      const pods = await cluster.list("pods", {
        namespace,
        labelSelector: `batch.kubernetes.io/job-name=${name}`,
      });
      for (const pod of pods) {
        const statuses = ((pod.status as { containerStatuses?: Array<Record<string, unknown>> })
          ?.containerStatuses ?? []) as Array<{
          state?: { terminated?: { exitCode?: number; message?: string } };
        }>;
        const terminated = statuses[0]?.state?.terminated;
        if (terminated) {
          return {
            jobName: name,
            exitCode: terminated.exitCode ?? 1,
            message: terminated.message ?? "",
            node: (pod.spec as { nodeName?: string } | undefined)?.nodeName,
          };
        }
      }
      throw new StowageError(
        "ERR_KUBE",
        `restic Job ${namespace}/${name} ${complete ? "completed" : `failed (${failed?.reason ?? "unknown reason"}: ${failed?.message ?? ""})`} without a terminated container to read its result from`,
      );
    }
    if (Date.now() > deadline) {
      throw new StowageError(
        "ERR_KUBE",
        `restic Job ${namespace}/${name} did not finish within ${Math.round(timeoutMs / 1000)} s${lastWaiting ? ` (its container: ${lastWaiting})` : ""}: is the node running, and can it pull ${options.image}?`,
      );
    }
    const pods = await cluster.list("pods", {
      namespace,
      labelSelector: `batch.kubernetes.io/job-name=${name}`,
    });
    const waiting = (
      pods[0]?.status as {
        containerStatuses?: Array<{ state?: { waiting?: { reason?: string; message?: string } } }>;
      }
    )?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason) lastWaiting = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
    await sleep(pollMs, signal);
  }
};
