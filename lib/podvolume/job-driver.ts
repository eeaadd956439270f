/**
 * The Kubernetes Job driver: each restic command runs in a Job pinned to the pod's node
 * (`spec.nodeName`), from the project's image, with the pod's volumes directory mounted from the host.
 * The outcome comes back through the container's termination message (reading logs needs the kubelet's
 * API; the termination message is in the pod's status). The driver waits on the Job's Complete/Failed
 * condition with a timeout, then deletes the Job.
 *
 * S3 keys reach a Job through a Secret of its own, created right after the Job with an owner reference
 * to it (so the garbage collector removes it with the Job) and deleted with the Job. The keys are
 * resolved again for every Job, so rotated credentials (web identity, a changed environment) are used.
 * The shared, never-deleted backend Secrets of older versions are deleted once per driver (unless a Job
 * still uses one).
 *
 * RBAC the caller needs in the Job namespace: create/get/list/delete `jobs.batch`, list `pods`,
 * get/create/delete `secrets` (and list `secrets`, for the sweep of older versions' Secrets).
 */
import { randomUUID } from "node:crypto";
import { ConfigError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { createReconciled } from "../kube/create.ts";
import { awsChainCredentials, credentialsEnv } from "./backend.ts";
import { backupCommand, type CommonOptions, type ResticCommand, restoreCommand } from "./commands.ts";
import type { PodVolumeDriver, Repository, VolumeLocation } from "./driver.ts";
import { buildResticJob, type ResticJobInput } from "./job-spec.ts";
import {
  backendSecretName,
  createBackendSecret,
  deleteBackendSecret,
  deleteLegacyBackendSecrets,
  type JobOutcome,
  waitForJob,
} from "./job-wait.ts";
import { DEFAULT_CREDENTIALS_NAMESPACE } from "./keys.ts";
import {
  type BackupSummary,
  parseJsonLines,
  ResticError,
  type RestoreSummary,
  resticError,
} from "./output.ts";

/**
 * The image built from Stowage's Dockerfile (Node 24, stowage, restic 0.18.1): `$STOWAGE_IMAGE` (the
 * runner's Deployment sets it to its own image), else `stowage/stowage:0.1.0`.
 */
export const DEFAULT_IMAGE = process.env.STOWAGE_IMAGE || "stowage/stowage:0.1.0";

/** Label carrying a value unique to one restic Job (its create is reconciled by it). */
export const JOB_RUN_LABEL = "stowage.dev/job-run";

/** Options of {@link jobDriver}. */
export interface JobDriverOptions {
  readonly cluster: Cluster;
  /**
   * Namespace the Jobs run in; the repository key Secrets must be there (pass the same value as the
   * `credentialsNamespace` of backup and restore).
   * @default "velero"
   */
  readonly namespace?: string;
  /** Image with `sh` and `restic` on PATH, pullable by every node. @default `$STOWAGE_IMAGE`, else "stowage/stowage:0.1.0" */
  readonly image?: string;
  /** @default the cluster's default ("IfNotPresent" for tagged images) */
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** The kubelet's root directory on the nodes. @default "/var/lib/kubelet" */
  readonly kubeletRootDir?: string;
  /** Longest a Job may run (also its `activeDeadlineSeconds`). @default 14400000 (4 h) */
  readonly timeoutMs?: number;
  /** How often the Job is polled. @default 1000 */
  readonly pollIntervalMs?: number;
  /** restic's cache in the container; containers start empty, so none by default. @default false */
  readonly cacheDir?: string | false;
  /** Run the container privileged (needed for some volume types on SELinux nodes). @default false */
  readonly privileged?: boolean;
  /** Container resources. @default none */
  readonly resources?: Readonly<Record<string, unknown>>;
  /** Labels added to every Job and its pod. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Keep finished Jobs (for debugging; they expire after an hour). @default false */
  readonly keepJobs?: boolean;
  /**
   * For an S3 location given without static credentials: hand the AWS credentials this process
   * resolves (its environment, profile or web identity, as the store uses) to the Jobs through a
   * Secret in `namespace` (one per Job, deleted with it), since a Job on another node cannot see them.
   * They are resolved anew for each Job, so rotated credentials are picked up. `false` leaves the Jobs
   * to the nodes' own identity (an instance profile). When this process resolves none, nothing is handed.
   * @default true
   */
  readonly forwardCredentials?: boolean;
}

/** Creates the Job driver. */
export const jobDriver = (options: JobDriverOptions): PodVolumeDriver => {
  const { cluster } = options;
  const namespace = options.namespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const kubeletRootDir = options.kubeletRootDir ?? "/var/lib/kubelet";
  const timeoutMs = options.timeoutMs ?? 4 * 3600_000;
  const pollMs = options.pollIntervalMs ?? 1000;
  const common: CommonOptions = { cacheDir: options.cacheDir ?? false };
  const describe = { namespace, timeoutMs, pollMs, image: options.image ?? DEFAULT_IMAGE };
  // once per driver, best effort (it needs list on Secrets and Jobs): older versions' shared Secrets
  let swept: Promise<unknown> | undefined;

  /**
   * The repository as the Job sees it: with this process's AWS credentials when the address has none,
   * resolved now (never kept: temporary credentials expire, the environment may change).
   */
  const forJob = async (repository: Repository): Promise<Repository> => {
    const { address } = repository;
    if (options.forwardCredentials === false || !address.url.startsWith("s3:")) return repository;
    if (Object.keys(address.secretEnv).length > 0) return repository;
    const credentials = await awsChainCredentials();
    return credentials
      ? { ...repository, address: { ...address, secretEnv: credentialsEnv(credentials) } }
      : repository;
  };

  const checkKey = (repository: Repository) => {
    if (repository.key.secretNamespace !== namespace) {
      throw new ConfigError(
        `the key of namespace ${repository.address.namespace} is in ${repository.key}, but restic Jobs run in namespace ${namespace} and can only read Secrets there: use the same namespace for the key Secrets (credentialsNamespace) and the Jobs`,
      );
    }
  };

  /**
   * Creates the Job (then its backend Secret, owned by it), waits for it, deletes both; returns its
   * container's outcome.
   */
  const runJob = async (
    input: Omit<
      ResticJobInput,
      | "namespace"
      | "image"
      | "kubeletRootDir"
      | "activeDeadlineSeconds"
      | "privileged"
      | "labels"
      | "key"
      | "env"
      | "backendSecret"
    > & {
      readonly repository: Repository;
      readonly labels?: Readonly<Record<string, string>>;
      readonly signal: AbortSignal | undefined;
      readonly command: ResticCommand;
    },
  ): Promise<JobOutcome> => {
    checkKey(input.repository);
    swept ??= deleteLegacyBackendSecrets(cluster, namespace).catch(() => undefined);
    await swept;
    const { repository: given, signal, command, labels, ...rest } = input;
    const repository = await forJob(given);
    const secretEnv = repository.address.secretEnv;
    const secret = Object.keys(secretEnv).length > 0 ? backendSecretName() : undefined;
    // unique to this Job: a create whose answer is lost finds it by this label instead of making a second
    const run = randomUUID();
    const job = buildResticJob({
      ...rest,
      namespace,
      image: options.image ?? DEFAULT_IMAGE,
      kubeletRootDir,
      activeDeadlineSeconds: Math.ceil(timeoutMs / 1000),
      privileged: options.privileged ?? false,
      labels: { ...options.labels, ...labels, [JOB_RUN_LABEL]: run },
      env: command.env,
      key: repository.key.toJSON(),
      ...(secret ? { backendSecret: { name: secret, keys: Object.keys(secretEnv).sort() } } : {}),
      ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
      ...(options.resources ? { resources: options.resources } : {}),
    });
    const { object: created } = await createReconciled(cluster, "jobs.batch", job, {
      namespace,
      find: async () =>
        (await cluster.list("jobs.batch", { namespace, labelSelector: `${JOB_RUN_LABEL}=${run}` }))[0],
      isOurs: () => true,
    });
    const name = created.metadata?.name ?? "";
    let keep = options.keepJobs === true;
    try {
      if (secret) {
        // a Job without its Secret would wait for it until its deadline: it goes, kept or not
        keep = false;
        await createBackendSecret(cluster, { namespace, name: secret, job: created, env: secretEnv, signal });
        keep = options.keepJobs === true;
      }
      return await waitForJob(cluster, name, describe, signal);
    } finally {
      if (!keep) {
        await cluster
          .delete("jobs.batch", name, { namespace, propagationPolicy: "Background" })
          .catch(() => undefined);
        if (secret) await deleteBackendSecret(cluster, namespace, secret);
      }
    }
  };

  const failure = (command: ResticCommand, repository: Repository, outcome: JobOutcome): ResticError => {
    if (outcome.exitCode === 2) {
      const said = parseJsonLines(outcome.message).find((l) => l.message_type === "exit_error")?.message;
      return new ResticError(
        "failed",
        `restic ${command.operation} for namespace ${command.namespace} (Job ${namespace}/${outcome.jobName} on node ${outcome.node ?? "?"}): ${String(said ?? outcome.message)}`,
        { exitCode: 2, namespace: command.namespace },
      );
    }
    const error = resticError(command, outcome.exitCode, outcome.message, {
      repository: repository.address.url,
      keySource: String(repository.key),
    });
    if (error.failure === "failed") {
      return new ResticError(
        "failed",
        `${error.message} (Job ${namespace}/${outcome.jobName} on node ${outcome.node ?? "?"})`,
        {
          exitCode: outcome.exitCode,
          namespace: command.namespace,
        },
      );
    }
    return error;
  };

  /** Runs a backup or restore Job on the volume's node and returns its container's outcome. */
  const runVolumeJob = (
    op: "backup" | "restore",
    request: {
      readonly repository: Repository;
      readonly volume: VolumeLocation;
      readonly signal?: AbortSignal;
    },
    command: ResticCommand,
    marker?: string,
  ) =>
    runJob({
      op,
      node: request.volume.node,
      volume: { podUid: request.volume.podUid, volumeDir: request.volume.volumeDir },
      args: command.args,
      repository: request.repository,
      command,
      labels: { "stowage.dev/pod-uid": request.volume.podUid },
      ...(marker !== undefined ? { marker } : {}),
      signal: request.signal,
    });

  return {
    name: "job",
    image: options.image ?? DEFAULT_IMAGE,
    async ensureRepository(repository, ensureOptions = {}) {
      const probe: ResticCommand = {
        operation: "init",
        namespace: repository.address.namespace,
        args: [...repository.address.globalArgs, ...(common.cacheDir === false ? ["--no-cache"] : [])],
        env: { RESTIC_REPOSITORY: repository.address.url, ...repository.address.env },
      };
      const outcome = await runJob({
        op: "ensure",
        ...(ensureOptions.node ? { node: ensureOptions.node } : {}),
        args: probe.args,
        repository,
        command: probe,
        signal: ensureOptions.signal,
      });
      const summary = parseJsonLines(outcome.message).find((l) => l.message_type === "summary");
      if (outcome.exitCode !== 0 || !summary) throw failure(probe, repository, outcome);
      return { created: summary.created === true };
    },
    async backupVolume(request) {
      const command = backupCommand(request.repository.address, {
        ...common,
        directory: ".",
        tags: request.tags,
        ...(request.host ? { host: request.host } : {}),
      });
      const started = new Date();
      const outcome = await runVolumeJob("backup", request, command);
      const lines = parseJsonLines(outcome.message);
      const summary = lines.find((l) => l.message_type === "summary") as BackupSummary | undefined;
      if ((outcome.exitCode !== 0 && outcome.exitCode !== 3) || !summary?.snapshot_id) {
        throw failure(command, request.repository, outcome);
      }
      const progress = {
        totalBytes: summary.total_bytes_processed,
        bytesDone: summary.total_bytes_processed,
      };
      request.onProgress?.(progress);
      return {
        snapshotId: summary.snapshot_id,
        path: String(lines.find((l) => l.message_type === "volume")?.path ?? ""),
        progress,
        incrementalBytes: summary.data_added,
        summary,
        warnings:
          outcome.exitCode === 3
            ? lines
                .filter((l) => l.message_type === "error")
                .map((l) => `${String(l.item ?? "")}: ${JSON.stringify(l.error)}`)
            : [],
        startTimestamp: started,
        completionTimestamp: new Date(),
      };
    },
    async restoreVolume(request) {
      const command = restoreCommand(request.repository.address, {
        ...common,
        directory: ".",
        snapshotId: request.snapshotId,
      });
      const started = new Date();
      const outcome = await runVolumeJob("restore", request, command, request.marker);
      const lines = parseJsonLines(outcome.message);
      const summary = lines.find((l) => l.message_type === "summary") as RestoreSummary | undefined;
      if (outcome.exitCode !== 0 || !summary) throw failure(command, request.repository, outcome);
      return {
        path: String(lines.find((l) => l.message_type === "volume")?.path ?? ""),
        progress: { totalBytes: summary.total_bytes, bytesDone: summary.bytes_restored },
        summary,
        startTimestamp: started,
        completionTimestamp: new Date(),
      };
    },
  };
};
