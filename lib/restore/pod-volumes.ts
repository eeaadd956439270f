/**
 * Pod volume restore within `restore()`, Velero's way (the choice, and why):
 *
 * 1. Restored pods whose volumes have completed PodVolumeBackups get Velero's `restore-wait` init
 *    container (the `velero.io/pod-volume-restore` action), which holds the workload back until every such
 *    volume holds the marker `.velero/<restore UID>`.
 * 2. After every item is created, each such pod is waited for until it is scheduled (its volumes only
 *    exist on its node, under its new UID, once the kubelet sets the pod up); then the driver restores
 *    each snapshot into `<kubelet>/pods/<uid>/volumes/*\/<dir>` on that node (a Job there, for the Job
 *    driver) and writes the marker. The init container then exits and the workload starts on restored
 *    data.
 *
 * A Job cannot restore into a volume before its pod exists on a node (an emptyDir is created by the
 * kubelet for that pod), so "restore first, then start" needs the init container; this is the reason
 * for Velero's design, kept here. PVC volumes are restored through their pod the same way. Without a
 * driver, no init container is added (the pod would wait forever) and a warning names the volumes.
 */
import type { RestoreItemAction } from "../actions/types.ts";
import type { Cluster } from "../kube/client.ts";
import { createLimiter } from "../kube/limiter.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { DEFAULT_IMAGE } from "../podvolume/job-driver.ts";
import type { ResolvedPodVolumeOptions } from "../podvolume/options.ts";
import type { PodVolumeBackupRecord } from "../podvolume/records.ts";
import { createRepositoryOpener } from "../podvolume/repository.ts";
import { type PendingVolume, restoreVolumeInfo, snapshotsOf } from "../podvolume/restore-plan.ts";
import { restoreWaitContainer, withRestoreWait } from "../podvolume/restore-wait.ts";
import { volumeDirectory } from "../podvolume/selection.ts";
import { poll, pollDone, pollPending } from "../util/poll.ts";
import { RESTORE_NAME_LABEL, validLabelValue } from "./reset.ts";

interface PendingPod {
  readonly sourceNamespace: string;
  readonly namespace: string;
  readonly name: string;
  readonly volumes: readonly PendingVolume[];
}

/** The pod-volume part of one restore run. */
export interface PodVolumeRestorer {
  /** `velero.io/pod-volume-restore`: adds `restore-wait` to pods with volumes to restore. */
  readonly action: RestoreItemAction;
  /** Restores the volumes of every pod the action saw (after all items exist); errors go to the log. */
  finish(): Promise<void>;
  /** Velero's `RestoreVolumeInfo` of each restored volume (for `<r>-volumeinfo.json.gz`). */
  volumeInfo(): Record<string, unknown>[];
}

/** Creates the pod-volume restorer of one restore run. */
export const createPodVolumeRestorer = (deps: {
  readonly cluster: Cluster;
  readonly records: readonly PodVolumeBackupRecord[];
  readonly options: ResolvedPodVolumeOptions | undefined;
  readonly restore: { readonly name: string; readonly uid: string };
  readonly log: RunLog;
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
}): PodVolumeRestorer => {
  const { cluster, options, log } = deps;
  const pending: PendingPod[] = [];
  const infos: Record<string, unknown>[] = [];
  const image = options?.restoreHelperImage ?? options?.driver.image ?? DEFAULT_IMAGE;

  const action: RestoreItemAction = {
    name: "velero.io/pod-volume-restore",
    appliesTo: { resources: ["pods"] },
    execute({ item, itemFromBackup }) {
      const sourceNamespace = itemFromBackup.metadata?.namespace ?? "";
      const volumes = snapshotsOf(deps.records, item, sourceNamespace);
      const namespace = item.metadata?.namespace ?? "";
      const name = item.metadata?.name ?? "";
      if (volumes.length === 0) return { item: withRestoreWait(item, undefined) };
      const names = volumes.map((v) => v.volume);
      if (!options) {
        log.warn(
          `pod volumes ${names.join(", ")} of pod ${namespace}/${name} have file backups, but the restore has no podVolumes driver: their data is not restored (give podVolumes: { driver: jobDriver({ cluster }) })`,
          { resource: "pods", namespace, name },
        );
        return { item: withRestoreWait(item, undefined) };
      }
      if (!deps.dryRun) pending.push({ sourceNamespace, namespace, name, volumes });
      return { item: withRestoreWait(item, restoreWaitContainer(item, names, deps.restore.uid, image)) };
    },
  };

  /** The pod once it is scheduled (its UID and node), or undefined when `timeoutMs` passes first. */
  const scheduled = async (pod: PendingPod, timeoutMs: number, signal: AbortSignal) => {
    const outcome = await poll(
      `pod ${pod.namespace}/${pod.name} to be scheduled`,
      async () => {
        const live = await cluster.tryGet("pods", pod.name, { namespace: pod.namespace, signal });
        const labels = live?.metadata?.labels ?? {};
        if (live && labels[RESTORE_NAME_LABEL] !== validLabelValue(deps.restore.name)) {
          throw new Error("the pod existed before and was not created by this restore");
        }
        const node = (live?.spec as { nodeName?: string } | undefined)?.nodeName;
        return live && node ? pollDone({ pod: live, node }) : pollPending("not scheduled");
      },
      { intervalMs: 500, timeoutMs, signal },
    );
    return outcome.done ? outcome.value : undefined;
  };

  /** The volume's directory on the node: through the claim's (new) PV for PVC volumes. */
  const directoryOf = async (
    pod: KubeObject,
    volume: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ dir: string; pvc?: KubeObject; pv?: KubeObject }> => {
    const declared = (
      (pod.spec as { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> })
        .volumes ?? []
    ).find((v) => v.name === volume);
    const claimName = declared?.persistentVolumeClaim?.claimName;
    if (!claimName) return { dir: volumeDirectory({ name: volume }) };
    const outcome = await poll(
      `PVC ${claimName} to be bound`,
      async () => {
        const pvc = await cluster.tryGet("persistentvolumeclaims", claimName, {
          namespace: pod.metadata?.namespace,
          signal,
        });
        const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
        const pv = pvName ? await cluster.tryGet("persistentvolumes", pvName, { signal }) : undefined;
        return pvc && pv
          ? pollDone({ dir: volumeDirectory({ name: volume, claimName }, pv), pvc, pv })
          : pollPending("unbound");
      },
      { intervalMs: 500, timeoutMs, signal },
    );
    if (!outcome.done) throw new Error(`its PVC ${claimName} was not bound to a PV in time`);
    return outcome.value;
  };

  return {
    action,
    volumeInfo: () => infos,
    async finish() {
      if (!options || pending.length === 0) return;
      const timeout = AbortSignal.timeout(options.timeoutMs);
      const signal = AbortSignal.any([deps.signal, timeout]);
      const limiter = createLimiter(options.concurrency);
      const opener = createRepositoryOpener({
        cluster,
        backend: options.backend,
        driver: options.driver,
        credentialsNamespace: options.credentialsNamespace,
        create: false,
        signal,
      });
      log.info(`restoring the volumes of ${pending.length} pod(s) from file backups`);
      const restoreVolume = async (
        pod: PendingPod,
        found: { pod: KubeObject; node: string },
        volume: PendingVolume,
      ) => {
        const fields = { resource: "pods", namespace: pod.namespace, name: pod.name, volume: volume.volume };
        try {
          const { dir, pvc, pv } = await directoryOf(
            found.pod,
            volume.volume,
            options.scheduleTimeoutMs,
            signal,
          );
          const outcome = await limiter.run(async () =>
            options.driver.restoreVolume({
              repository: await opener.open(pod.sourceNamespace, found.node),
              volume: { node: found.node, podUid: found.pod.metadata?.uid ?? "", volumeDir: dir },
              snapshotId: volume.snapshotId,
              marker: deps.restore.uid,
              signal,
            }),
          );
          log.info(`pod volume restored from snapshot ${volume.snapshotId}`, {
            ...fields,
            bytes: outcome.progress.bytesDone,
          });
          infos.push(
            restoreVolumeInfo(pod, found.node, volume, "Completed", outcome.progress.totalBytes, pvc, pv),
          );
        } catch (error) {
          if (deps.signal.aborted) throw error;
          const message = timeout.aborted
            ? `timed out after ${options.timeoutMs} ms`
            : (error as Error).message;
          log.error(
            `pod volume restore failed: pod ${pod.namespace}/${pod.name} volume ${volume.volume}: ${message}`,
            fields,
          );
          infos.push(restoreVolumeInfo(pod, found.node, volume, "Failed", 0));
        }
      };
      await Promise.all(
        pending.map(async (pod) => {
          const fields = { resource: "pods", namespace: pod.namespace, name: pod.name };
          let found: { pod: KubeObject; node: string } | undefined;
          try {
            found = await scheduled(pod, options.scheduleTimeoutMs, signal);
          } catch (error) {
            log.error(
              `pod volumes ${pod.volumes.map((v) => v.volume).join(", ")} of pod ${pod.namespace}/${pod.name} not restored: ${(error as Error).message}`,
              fields,
            );
            return;
          }
          if (!found) {
            log.error(
              `pod volumes ${pod.volumes.map((v) => v.volume).join(", ")} of pod ${pod.namespace}/${pod.name} not restored: the pod was not scheduled to a node within ${options.scheduleTimeoutMs} ms`,
              fields,
            );
            return;
          }
          await Promise.all(pod.volumes.map((volume) => restoreVolume(pod, found, volume)));
        }),
      );
    },
  };
};
