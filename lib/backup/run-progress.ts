/**
 * The in-progress record of one backup run (`<n>-stowage-progress.json`): written right after the claim,
 * then again as soon as the run makes something that costs space or money — a native snapshot the moment
 * the provider names it (before the run waits for it to complete), a namespace's restic repository before
 * restic starts in it, each restic snapshot as it is taken — and refreshed every `heartbeatMs` while the
 * run is alive. A run killed at any point (`kill -9`) thus leaves a trail that `deleteBackup` and GC
 * follow to remove what it made. Writes are serialised: each update resolves once a write that includes
 * it is in the store.
 */
import type {
  BackupProgressRecord,
  ProgressPodVolumes,
  ProgressVolumeSnapshot,
} from "../store/backup-catalog.ts";
import type { Catalog } from "../store/catalog.ts";

/** How often a running backup refreshes its progress record's `heartbeatTimestamp`: 5 minutes. */
export const HEARTBEAT_MS = 5 * 60_000;

/** The progress record of one run, kept in memory and written through to the store. */
export interface RunProgress {
  /** Writes the first record (call right after the claim) and starts the heartbeat. */
  start(): Promise<void>;
  /**
   * A native snapshot about to be requested (no `snapshotID`), or one its provider has just named (it
   * replaces the pending entry of its volume): recorded before the run goes on.
   */
  volumeSnapshot(snapshot: ProgressVolumeSnapshot): Promise<void>;
  /** A namespace whose repository restic is about to write into (recorded once). */
  podVolumeRepository(namespace: string, repository: string): Promise<void>;
  /** A restic snapshot just taken in `namespace`'s repository. */
  podVolumeSnapshot(namespace: string, snapshotId: string): Promise<void>;
  /** The record as it is now. */
  current(): BackupProgressRecord;
  /** Stops the heartbeat; with `failure`, writes the record once more saying why it stays. */
  stop(failure?: string): Promise<void>;
}

/** Creates the progress record of run `uid` of backup `name`. */
export const createRunProgress = (deps: {
  readonly catalog: Catalog;
  readonly name: string;
  readonly uid: string;
  readonly started: Date;
  readonly now: () => Date;
  /** @default {@link HEARTBEAT_MS} */
  readonly heartbeatMs?: number;
}): RunProgress => {
  const { catalog, name } = deps;
  const volumeSnapshots: ProgressVolumeSnapshot[] = [];
  const podVolumes = new Map<string, { repository: string; snapshotIDs: string[] }>();
  let failure: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  const current = (): BackupProgressRecord => ({
    kind: "StowageBackupProgress",
    name,
    uid: deps.uid,
    startTimestamp: deps.started.toISOString(),
    heartbeatTimestamp: deps.now().toISOString(),
    ...(failure === undefined ? {} : { failure }),
    volumeSnapshots: structuredClone(volumeSnapshots),
    podVolumes: [...podVolumes].map(
      ([namespace, p]): ProgressPodVolumes => ({
        namespace,
        repository: p.repository,
        snapshotIDs: [...p.snapshotIDs],
      }),
    ),
  });

  /** Queues a write of the state as it will be when the write starts; resolves once it is stored. */
  const write = (): Promise<void> => {
    const next = chain.then(() => catalog.putBackupProgress(name, current()));
    chain = next.catch(() => undefined);
    return next;
  };

  return {
    async start() {
      await write();
      const beat = () => {
        if (!stopped) write().catch(() => undefined); // a missed beat is retried by the next one
      };
      timer = setInterval(beat, deps.heartbeatMs ?? HEARTBEAT_MS);
      timer.unref();
    },
    volumeSnapshot(snapshot) {
      const pending = volumeSnapshots.findIndex(
        (s) =>
          s.snapshotID === undefined &&
          s.location === snapshot.location &&
          s.volumeID === snapshot.volumeID &&
          s.persistentVolume === snapshot.persistentVolume,
      );
      if (pending >= 0 && snapshot.snapshotID !== undefined) volumeSnapshots[pending] = { ...snapshot };
      else volumeSnapshots.push({ ...snapshot });
      return write();
    },
    podVolumeRepository(namespace, repository) {
      if (podVolumes.has(namespace)) return chain;
      podVolumes.set(namespace, { repository, snapshotIDs: [] });
      return write();
    },
    podVolumeSnapshot(namespace, snapshotId) {
      const entry = podVolumes.get(namespace) ?? { repository: "", snapshotIDs: [] };
      podVolumes.set(namespace, entry);
      if (!entry.snapshotIDs.includes(snapshotId)) entry.snapshotIDs.push(snapshotId);
      return write();
    },
    current,
    async stop(why) {
      stopped = true;
      clearInterval(timer);
      if (why === undefined) {
        await chain;
        return;
      }
      failure = why;
      await write();
    },
  };
};
