/**
 * Deleting a backup's pod volume data, as Velero's backup deletion does: every restic snapshot its
 * PodVolumeBackups name is forgotten in the repository of the pod's namespace, and the backup stays
 * in the store while any of them could not be (so the deletion can be retried). `restic forget` runs
 * without `--prune`, as Velero's: the data no other snapshot uses is freed by a later prune.
 */
import { ConfigError, describeValue } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { openCatalog } from "../store/catalog.ts";
import type { ObjectStore } from "../store/object-store.ts";
import { type ResticBackend, repositoryAddress, resticBackend } from "./backend.ts";
import { snapshotsCommand, unlockCommand } from "./commands.ts";
import type { Repository } from "./driver.ts";
import { DEFAULT_CREDENTIALS_NAMESPACE, findRepositoryKey, STOWAGE_KEY_SECRET } from "./keys.ts";
import { type LocalDriver, localDriver } from "./local-driver.ts";
import { ResticError, resticError } from "./output.ts";
import type { PodVolumeBackupRecord } from "./records.ts";
import { readPodVolumeBackups } from "./restore-plan.ts";

/**
 * What {@link deleteBackup} needs to forget a backup's restic snapshots. restic runs on this machine
 * (the runner image has it), whatever driver made the backup.
 */
export interface PodVolumeDeleteOptions {
  /** The cluster whose Secrets hold the repository keys. */
  readonly cluster: Cluster;
  /**
   * The restic backend of the backup location (`await resticBackend({ s3: <s3Store options> })`).
   * @default derived from the store (`resticBackend({ store })`: directory stores and `s3Store`s)
   */
  readonly backend?: ResticBackend;
  /** Namespace of the repository key Secrets. @default "velero" */
  readonly credentialsNamespace?: string;
  /** The local driver restic runs through (its binary and cache). @default localDriver() */
  readonly driver?: LocalDriver;
  /** Cancels the restic processes. @default none */
  readonly signal?: AbortSignal;
}

/** The restic snapshots of one backup, by the namespace whose repository holds them. */
export interface BackupPodVolumeSnapshots {
  /** namespace → snapshot IDs, from the PodVolumeBackups that completed with a snapshot. */
  readonly byNamespace: ReadonlyMap<string, readonly string[]>;
  /** Snapshots of another uploader (Velero's kopia), which Stowage cannot forget: `ns/pod/volume (type)`. */
  readonly foreign: readonly string[];
  readonly count: number;
  /**
   * A run that did not finish (its progress record names these repositories): besides the IDs above,
   * every snapshot tagged `backup-uid=<uid>` in them is the run's and is forgotten too (restic may have
   * finished one after the run died). @default undefined (none)
   */
  readonly run?: { readonly uid: string; readonly namespaces: readonly string[] };
}

/** Adds `id` to `namespace`'s list (once). */
const addId = (byNamespace: Map<string, string[]>, namespace: string, id: string) => {
  const ids = byNamespace.get(namespace) ?? [];
  byNamespace.set(namespace, ids);
  if (!ids.includes(id)) ids.push(id);
};

/**
 * Reads `<backup>-podvolumebackups.json.gz` and groups its snapshots by repository; adds what the
 * progress record of a run that did not finish lists (`<backup>-stowage-progress.json`).
 */
export const backupPodVolumeSnapshots = async (
  store: ObjectStore,
  name: string,
): Promise<BackupPodVolumeSnapshots> => {
  const records: PodVolumeBackupRecord[] = await readPodVolumeBackups(store, name);
  const progress = await openCatalog(store).getBackupProgress(name);
  const byNamespace = new Map<string, string[]>();
  const foreign: string[] = [];
  for (const entry of progress?.podVolumes ?? []) {
    for (const id of entry.snapshotIDs) addId(byNamespace, entry.namespace, id);
  }
  for (const record of records) {
    const id = record.status?.snapshotID;
    if (!id) continue;
    const namespace = record.spec?.pod?.namespace ?? "";
    const uploader = (record.spec as { uploaderType?: string } | undefined)?.uploaderType || "restic";
    if (uploader !== "restic") {
      foreign.push(`${namespace}/${record.spec?.pod?.name}/${record.spec?.volume} (${uploader})`);
      continue;
    }
    addId(byNamespace, namespace, id);
  }
  const count = [...byNamespace.values()].reduce((n, ids) => n + ids.length, 0) + foreign.length;
  const namespaces = (progress?.podVolumes ?? []).map((p) => p.namespace);
  return {
    byNamespace,
    foreign,
    count,
    ...(progress && namespaces.length > 0 ? { run: { uid: progress.uid, namespaces } } : {}),
  };
};

/**
 * Reads backup `name`'s pod volume snapshots and checks, before anything is deleted, that they can be
 * forgotten with `options`: restic snapshots need `podVolumes` (or `false`, to leave them) and a
 * backend; snapshots of another uploader can only be left. Throws a ConfigError saying what to pass;
 * returns the step that forgets them (see {@link forgetPodVolumeSnapshots}).
 */
export const preparePodVolumeDeletion = async (
  store: ObjectStore,
  name: string,
  options: PodVolumeDeleteOptions | false | undefined,
): Promise<() => Promise<string[]>> => {
  const none = async () => [];
  if (options === false) return none;
  const snapshots = await backupPodVolumeSnapshots(store, name);
  if (snapshots.count === 0 && !snapshots.run) return none;
  if (snapshots.foreign.length > 0) {
    throw new ConfigError(
      `backup "${name}" has pod volume snapshots Stowage cannot forget: ${snapshots.foreign.join(", ")}. Delete it with Velero, or pass podVolumes: false (CLI: --keep-pod-volume-snapshots) to delete it and leave those snapshots in their repositories; nothing was deleted`,
    );
  }
  if (options === undefined) {
    const namespaces = [...new Set([...snapshots.byNamespace.keys(), ...(snapshots.run?.namespaces ?? [])])];
    throw new ConfigError(
      `backup "${name}" has ${snapshots.count} restic pod volume snapshot(s)${snapshots.run ? ` (and may have more: its run ${snapshots.run.uid} did not finish)` : ""} in the repositories of namespace(s) [${namespaces.join(", ")}]: pass podVolumes: { cluster, backend } so they are forgotten with it, or podVolumes: false (CLI: --keep-pod-volume-snapshots) to leave them; nothing was deleted`,
    );
  }
  if (typeof options !== "object" || options === null || typeof options.cluster?.tryGet !== "function") {
    throw new ConfigError(
      `deleteBackup("${name}") podVolumes: expected { cluster, backend?, credentialsNamespace?, driver? } or false, got ${describeValue(options)}`,
    );
  }
  const backend = options.backend ?? (await resticBackend({ store }));
  return () => forgetPodVolumeSnapshots(name, snapshots, { ...options, backend });
};

/** The full IDs of the snapshots carrying every tag of `tags`; none when the repository does not exist. */
const taggedSnapshots = async (
  driver: LocalDriver,
  repository: Repository,
  tags: Readonly<Record<string, string>>,
  signal: { signal?: AbortSignal },
): Promise<string[]> => {
  const command = snapshotsCommand(repository.address, { tags });
  const done = await driver.run(command, repository, { ...signal, collectStdout: true });
  if (done.exitCode === 10) return []; // no repository: nothing was written into it
  if (done.exitCode !== 0)
    throw resticError(command, done.exitCode, done.stderr, {
      repository: repository.address.url,
      keySource: String(repository.key),
    });
  try {
    return (JSON.parse(done.stdout) as Array<{ id?: unknown }>).map((s) => String(s.id));
  } catch (cause) {
    throw new ResticError(
      "failed",
      `restic snapshots for namespace ${command.namespace} printed no JSON list`,
      {
        exitCode: done.exitCode,
        namespace: command.namespace,
        cause,
      },
    );
  }
};

/**
 * Forgets the restic snapshots of backup `name` (see {@link backupPodVolumeSnapshots}); snapshots
 * already gone are fine. Returns the IDs forgotten; throws naming every snapshot that remains.
 */
export const forgetPodVolumeSnapshots = async (
  name: string,
  snapshots: BackupPodVolumeSnapshots,
  options: PodVolumeDeleteOptions & { readonly backend: ResticBackend },
): Promise<string[]> => {
  const { backend } = options;
  const driver = options.driver ?? localDriver();
  const credentialsNamespace = options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const signal = options.signal ? { signal: options.signal } : {};
  const forgotten: string[] = [];
  const failures: string[] = [];
  let first: { namespace: string; error: unknown } | undefined;
  const run = snapshots.run;
  const namespaces = [...new Set([...snapshots.byNamespace.keys(), ...(run?.namespaces ?? [])])];
  for (const namespace of namespaces) {
    const address = repositoryAddress(backend, namespace);
    const ids = [...(snapshots.byNamespace.get(namespace) ?? [])];
    try {
      const key = await findRepositoryKey(options.cluster, namespace, { credentialsNamespace, ...signal });
      if (!key && ids.length === 0) continue; // no key: the run never got to create the repository
      if (!key) {
        throw new ConfigError(
          `no repository key for namespace ${namespace} in Secret ${credentialsNamespace}/${STOWAGE_KEY_SECRET} (nor Velero's velero-repo-credentials): is credentialsNamespace right?`,
        );
      }
      if (run?.namespaces.includes(namespace)) {
        // a run that died may have left its restic's lock: stale ones go (a live one stays and fails below)
        await driver.run(unlockCommand(address), { address, key }, signal);
        for (const id of await taggedSnapshots(driver, { address, key }, { "backup-uid": run.uid }, signal)) {
          if (!ids.some((known) => id.startsWith(known))) ids.push(id);
        }
      }
      if (ids.length === 0) continue;
      const done = await driver.forgetSnapshots({ address, key }, ids, signal);
      forgotten.push(...done.forgotten);
    } catch (error) {
      first ??= { namespace, error };
      failures.push(
        `namespace ${namespace} (${ids.length} snapshot(s): ${ids.join(", ")}): ${(error as Error)?.message ?? String(error)}`,
      );
    }
  }
  if (first !== undefined) {
    const cause = first.error;
    throw new ResticError(
      cause instanceof ResticError ? cause.failure : "failed",
      `backup "${name}" was not deleted from the store because the restic snapshots of ${failures.length} namespace(s) could not be forgotten (it still refers to them; fix the cause and delete it again):\n${failures.map((f) => `  - ${f}`).join("\n")}`,
      { exitCode: cause instanceof ResticError ? cause.exitCode : 1, namespace: first.namespace, cause },
    );
  }
  return forgotten;
};
