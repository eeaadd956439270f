/**
 * The parts of the Job driver that talk to the apiserver around a Job: its backend Secret (one per Job,
 * owned by it), the sweep of older versions' shared ones, and waiting for the Job's Complete/Failed
 * condition and reading its container's termination message.
 */
import { randomBytes } from "node:crypto";
import { AbortError, StowageError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { createReconciled } from "../kube/create.ts";
import { isNotFound } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { sleep } from "../util/poll.ts";

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

/** Name prefix of the per-Job Secrets holding a backend's secret variables (AWS keys). */
export const BACKEND_SECRET_PREFIX = "stowage-restic-backend-";
/** Label on those Secrets (with `app.kubernetes.io/managed-by: stowage`). */
export const BACKEND_SECRET_LABEL = "stowage.dev/restic-backend";

/**
 * A fresh name for one Job's backend Secret: random, so no two Jobs (or Stowage processes) share one,
 * and unlike the 12-hex-digit names older versions shared between Jobs (`stowage-restic-backend-<hash>`).
 */
export const backendSecretName = (): string =>
  `${BACKEND_SECRET_PREFIX}job-${randomBytes(6).toString("hex")}`;

/**
 * Creates the Secret `name` holding `env` for the restic Job `job`, owned by it (`ownerReferences`), so
 * the garbage collector deletes it with the Job, whoever deletes the Job (Stowage, its TTL, a person).
 * It is created after the Job because an owner reference needs the Job's UID: until it exists, the
 * kubelet holds the Job's container back (`CreateContainerConfigError`) and retries, since the
 * container takes the variables through `secretKeyRef`. The Secret thus never exists without an owner.
 */
export const createBackendSecret = async (
  cluster: Cluster,
  init: {
    readonly namespace: string;
    readonly name: string;
    readonly job: KubeObject;
    readonly env: Readonly<Record<string, string>>;
    readonly signal?: AbortSignal | undefined;
  },
): Promise<void> => {
  const { namespace, name, job, env } = init;
  const names = Object.keys(env).sort();
  const owner = job.metadata?.uid ?? "";
  // a create whose answer was lost is read back: the random name and the owner make it this Job's
  await createReconciled(
    cluster,
    "secrets",
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name,
        namespace,
        labels: { "app.kubernetes.io/managed-by": "stowage", [BACKEND_SECRET_LABEL]: "true" },
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: job.metadata?.name ?? "",
            uid: owner,
          },
        ],
      },
      type: "Opaque",
      immutable: true,
      data: Object.fromEntries(names.map((n) => [n, Buffer.from(env[n]!, "utf8").toString("base64")])),
    },
    {
      namespace,
      signal: init.signal,
      isOurs: (found) => found.metadata?.ownerReferences?.some((o) => o.uid === owner) === true,
    },
  );
};

/**
 * Deletes a Job's backend Secret now rather than waiting for the garbage collector; best effort (the
 * owner reference still removes it when this fails, e.g. without `delete` on Secrets).
 */
export const deleteBackendSecret = async (
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<void> => {
  await cluster.delete("secrets", name, { namespace }).catch(() => undefined);
};

/** How versions before per-Job Secrets named the backend Secrets their Jobs shared (hash of the keys). */
const LEGACY_BACKEND_SECRET = /^stowage-restic-backend-[0-9a-f]{12}$/;

/** The Secrets the containers of `job` take variables from. */
const secretsOfJob = (job: KubeObject): string[] => {
  type Env = { valueFrom?: { secretKeyRef?: { name?: string } } };
  const spec = job.spec as
    | {
        template?: {
          spec?: { containers?: Array<{ env?: Env[] }>; initContainers?: Array<{ env?: Env[] }> };
        };
      }
    | undefined;
  const containers = [
    ...(spec?.template?.spec?.containers ?? []),
    ...(spec?.template?.spec?.initContainers ?? []),
  ];
  return containers.flatMap((c) => (c.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.name ?? []));
};

/**
 * Deletes the backend Secrets older Stowage versions left in `namespace` (`stowage-restic-backend-` and
 * 12 hex digits, no owner: they were never deleted and hold S3 keys), except those a Job there still
 * takes variables from. Returns the names deleted.
 */
export const deleteLegacyBackendSecrets = async (cluster: Cluster, namespace: string): Promise<string[]> => {
  const legacy = (
    await cluster.list("secrets", { namespace, labelSelector: "app.kubernetes.io/managed-by=stowage" })
  ).filter((s) => LEGACY_BACKEND_SECRET.test(s.metadata?.name ?? "") && !s.metadata?.ownerReferences?.length);
  if (legacy.length === 0) return [];
  const inUse = new Set((await cluster.list("jobs.batch", { namespace })).flatMap(secretsOfJob));
  const deleted: string[] = [];
  for (const secret of legacy) {
    const name = secret.metadata?.name ?? "";
    if (inUse.has(name)) continue;
    await cluster.delete("secrets", name, { namespace }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    deleted.push(name);
  }
  return deleted;
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
