/**
 * Pod volume backup within `backup()`: as each pod is written to the archive, its selected volumes
 * (annotations, opt-out mode) are queued; each runs through the `podVolumes` driver (a restic Job on the
 * pod's node, or local restic) into its namespace's repository; the backup waits for all of them (with a
 * timeout) before it finishes. Every volume yields a PodVolumeBackup record (Velero's shape); a failed
 * volume is an error naming the pod and the volume, so the backup ends PartiallyFailed.
 *
 * Without `podVolumes`, selected volumes are not backed up and a warning names them.
 */
import type { Cluster } from "../kube/client.ts";
import { createLimiter } from "../kube/limiter.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { forgetPodVolumeSnapshots } from "../podvolume/forget.ts";
import { type LocalDriver, localDriver } from "../podvolume/local-driver.ts";
import type { ResolvedPodVolumeOptions } from "../podvolume/options.ts";
import {
  type ClaimInfo,
  completedPodVolumeBackup,
  failedPodVolumeBackup,
  newPodVolumeBackup,
  type OwningBackup,
  type PodVolumeBackupRecord,
  podVolumeInfo,
} from "../podvolume/records.ts";
import { createRepositoryOpener } from "../podvolume/repository.ts";
import { type SelectedVolume, selectPodVolumes, volumeDirectory } from "../podvolume/selection.ts";

/** The pod-volume part of one backup run. */
export interface PodVolumeBackupper {
  /**
   * Looks at a pod about to be written to the archive and queues its selected volumes; the promise
   * settles once all of them are backed up or failed (at once when there are none).
   */
  onPod(pod: KubeObject): Promise<void>;
  /** Waits for every queued volume (up to the timeout); the records, or `null` when there are none. */
  finish(): Promise<PodVolumeBackupRecord[] | null>;
  /** Velero's `BackupVolumeInfo` of each record (for `-volumeinfo.json.gz`); call after `finish()`. */
  volumeInfo(): Record<string, unknown>[];
  /**
   * `<namespace>/<claim>` of every PVC whose volume goes to restic (its PV is not snapshotted). Filled
   * as pods are seen, before their PVCs and PVs are backed up.
   */
  readonly backedUpClaims: ReadonlySet<string>;
  /** Whether `pv`'s claim is among {@link backedUpClaims} (then it is not snapshotted). */
  coversPv(pv: KubeObject): boolean;
  /**
   * For a backup that failed: forgets every restic snapshot this run took (those it knows, and any
   * tagged with its uid in the repositories it wrote to), once its volumes have stopped. Best effort:
   * failures are returned, not thrown.
   */
  discard(): Promise<string[]>;
}

/** Where a run records its restic work as it goes (its progress record). */
export interface PodVolumeProgress {
  /** Before restic first writes into `namespace`'s repository. */
  repository(namespace: string, repository: string): Promise<void>;
  /** Right after a snapshot is taken. */
  snapshot(namespace: string, snapshotId: string): Promise<void>;
}

/** True when `driver` runs restic on this machine and can forget snapshots (the local driver). */
const isLocalDriver = (driver: object): driver is LocalDriver =>
  typeof (driver as Partial<LocalDriver>).forgetSnapshots === "function" &&
  typeof (driver as Partial<LocalDriver>).run === "function";

/** Creates the pod-volume backupper of one backup run. */
export const createPodVolumeBackupper = (deps: {
  readonly cluster: Cluster;
  /** Resolved `podVolumes`, or undefined when the backup has none. */
  readonly options: ResolvedPodVolumeOptions | undefined;
  readonly backup: OwningBackup;
  readonly log: RunLog;
  readonly defaultVolumesToFsBackup: boolean;
  readonly includesPvcs: boolean;
  readonly signal: AbortSignal;
  readonly now: () => Date;
  /** @default nothing recorded */
  readonly progress?: PodVolumeProgress;
}): PodVolumeBackupper => {
  const { cluster, options, log } = deps;
  const claims = new Set<string>();
  const records: PodVolumeBackupRecord[] = [];
  const claimInfo = new Map<PodVolumeBackupRecord, ClaimInfo>();
  /** Every snapshot restic took for this run, and every namespace it wrote into. */
  const taken: { namespace: string; id: string }[] = [];
  const touched = new Set<string>();
  const tasks: Promise<void>[] = [];
  const timeout = new AbortController();
  const signal = AbortSignal.any([deps.signal, timeout.signal]);
  const limiter = createLimiter(options?.concurrency ?? 1);
  const opener = options
    ? createRepositoryOpener({
        cluster,
        backend: options.backend,
        driver: options.driver,
        credentialsNamespace: options.credentialsNamespace,
        create: true,
        signal,
      })
    : undefined;

  const backupVolume = async (pod: KubeObject, volume: SelectedVolume, node: string): Promise<void> => {
    const namespace = pod.metadata?.namespace ?? "";
    const podName = pod.metadata?.name ?? "";
    const fields = { resource: "pods", namespace, name: podName, volume: volume.name };
    const pvc = volume.claimName
      ? await cluster.tryGet("persistentvolumeclaims", volume.claimName, { namespace, signal })
      : undefined;
    const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
    const pv = pvName ? await cluster.tryGet("persistentvolumes", pvName, { signal }) : undefined;
    if ((pv?.spec as { hostPath?: unknown } | undefined)?.hostPath !== undefined) {
      log.warn(
        `volume ${volume.name} of pod ${namespace}/${podName} is on a hostPath PV, which file-system backup cannot reach; skipped`,
        fields,
      );
      return;
    }
    let record = newPodVolumeBackup({
      backup: deps.backup,
      pod,
      volume: volume.name,
      ...(pvc ? { pvc } : {}),
      repoIdentifier: opener!.address(namespace).url,
      created: deps.now(),
    });
    let started: Date | undefined;
    let unrecorded = false;
    const recording = async (step: Promise<void> | undefined) => {
      try {
        await step;
      } catch (error) {
        unrecorded = true; // work that cannot be recorded fails the backup, which forgets it again
        throw error;
      }
    };
    try {
      if (volume.claimName && !pv) {
        throw new Error(`its PVC ${volume.claimName} ${pvc ? "is not bound to a PV" : "does not exist"}`);
      }
      await limiter.run(async () => {
        started = deps.now();
        touched.add(namespace);
        await recording(deps.progress?.repository(namespace, record.spec.repoIdentifier));
        const repository = await opener!.open(namespace, node);
        const outcome = await options!.driver.backupVolume({
          repository,
          volume: { node, podUid: pod.metadata?.uid ?? "", volumeDir: volumeDirectory(volume, pv) },
          tags: record.spec.tags,
          ...(options!.host ? { host: options!.host } : {}),
          signal,
        });
        taken.push({ namespace, id: outcome.snapshotId });
        await recording(deps.progress?.snapshot(namespace, outcome.snapshotId));
        record = completedPodVolumeBackup(record, outcome);
        log.info(`pod volume backed up: snapshot ${outcome.snapshotId}`, {
          ...fields,
          bytes: outcome.progress.totalBytes,
        });
        for (const warning of outcome.warnings)
          log.warn(`pod volume backup could not read everything: ${warning}`, fields);
      });
    } catch (error) {
      if (deps.signal.aborted || unrecorded) throw error;
      const message = timeout.signal.aborted
        ? `timed out after ${options!.timeoutMs} ms waiting for the pod volume backup`
        : (error as Error).message;
      record = failedPodVolumeBackup(record, message, started, deps.now());
      log.error(
        `pod volume backup failed: pod ${namespace}/${podName} volume ${volume.name}: ${message}`,
        fields,
      );
    }
    records.push(record);
    if (pvc && pv) claimInfo.set(record, { pvc, pv });
  };

  return {
    backedUpClaims: claims,
    coversPv(pv) {
      const ref = (pv.spec as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
      const covered = ref !== undefined && claims.has(`${ref.namespace}/${ref.name}`);
      if (covered) {
        log.info(`PV ${pv.metadata?.name} is backed up file by file through its pod: not snapshotted`, {
          resource: "persistentvolumes",
          name: pv.metadata?.name,
        });
      }
      return covered;
    },
    volumeInfo: () => records.map((record) => podVolumeInfo(record, claimInfo.get(record))),
    onPod(pod) {
      const namespace = pod.metadata?.namespace ?? "";
      const podName = pod.metadata?.name ?? "";
      const fields = { resource: "pods", namespace, name: podName };
      const selection = selectPodVolumes(pod, {
        defaultVolumesToFsBackup: deps.defaultVolumesToFsBackup,
        includesPvcs: deps.includesPvcs,
      });
      for (const skip of selection.skipped) {
        (skip.warn ? log.warn : log.info)(`pod volume ${skip.name} not backed up: ${skip.reason}`, fields);
      }
      const wanted = selection.selected.filter((v) => {
        if (!v.claimName) return true;
        const key = `${namespace}/${v.claimName}`;
        if (claims.has(key)) {
          log.info(
            `pod volume ${v.name} not backed up again: PVC ${v.claimName} is backed up through another pod`,
            fields,
          );
          return false;
        }
        claims.add(key);
        return true;
      });
      if (wanted.length === 0) return Promise.resolve();
      const names = wanted.map((v) => v.name).join(", ");
      if (!options) {
        for (const v of wanted) if (v.claimName) claims.delete(`${namespace}/${v.claimName}`);
        log.warn(
          `pod volumes ${names} of pod ${namespace}/${podName} are selected for file-system backup, but the backup has no podVolumes driver: they were not backed up (give podVolumes: { driver: jobDriver({ cluster }) })`,
          fields,
        );
        return Promise.resolve();
      }
      const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (!node || phase !== "Running") {
        for (const v of wanted) if (v.claimName) claims.delete(`${namespace}/${v.claimName}`);
        log.warn(
          `pod volumes ${names} of pod ${namespace}/${podName} not backed up: the pod is not running on a node (phase ${phase ?? "unknown"})`,
          fields,
        );
        return Promise.resolve();
      }
      log.info(`pod ${namespace}/${podName} has volumes to back up: ${names}`, fields);
      const podTasks = wanted.map((volume) => {
        const task = backupVolume(pod, volume, node);
        task.catch(() => {}); // awaited in finish(); never an unhandled rejection meanwhile
        tasks.push(task);
        return task;
      });
      return Promise.allSettled(podTasks).then(() => undefined);
    },
    async discard() {
      if (!options || touched.size === 0) return [];
      await Promise.allSettled(tasks); // restic has stopped (the run's signal fired) before anything is forgotten
      const byNamespace = new Map<string, string[]>();
      for (const { namespace, id } of taken)
        byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), id]);
      const driver = isLocalDriver(options.driver) ? options.driver : localDriver();
      try {
        await forgetPodVolumeSnapshots(
          deps.backup.name,
          {
            byNamespace,
            foreign: [],
            count: taken.length,
            run: { uid: deps.backup.uid, namespaces: [...touched] },
          },
          { cluster, backend: options.backend, credentialsNamespace: options.credentialsNamespace, driver },
        );
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    },
    async finish() {
      if (tasks.length === 0) return null;
      log.info(`waiting for ${tasks.length} pod volume backup(s)`);
      const timer = setTimeout(() => timeout.abort(), options?.timeoutMs ?? 0);
      try {
        await Promise.all(tasks);
      } finally {
        clearTimeout(timer);
      }
      const key = (r: PodVolumeBackupRecord) => `${r.spec.pod.namespace}/${r.spec.pod.name}/${r.spec.volume}`;
      return records.length ? records.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)) : null;
    },
  };
};
