/**
 * The local driver: restic as a local process (execa), for scripts, tests and benchmarks, and for a
 * Stowage process that runs on the pod's node itself. Pod volumes are found where the kubelet keeps them
 * (`<kubeletRootDir>/pods/<uid>/volumes/<plugin>/<dir>`); `backupDirectory`/`restoreDirectory` work on
 * any directory.
 *
 * The key reaches restic as `RESTIC_PASSWORD` in the child's environment only; inherited `RESTIC_*`
 * variables are dropped so a user's shell settings cannot point restic elsewhere.
 */
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import {
  backupCommand,
  type CommonOptions,
  forgetCommand,
  initCommand,
  probeCommand,
  pruneCommand,
  type ResticCommand,
  restoreCommand,
  snapshotsCommand,
} from "./commands.ts";
import type {
  PodVolumeDriver,
  Repository,
  VolumeBackupOutcome,
  VolumeLocation,
  VolumeRestoreOutcome,
} from "./driver.ts";
import {
  type BackupSummary,
  progressOf,
  ResticError,
  type RestoreSummary,
  resticError,
  resticMessage,
  type VolumeProgress,
} from "./output.ts";
import { type ResticRun, type RunOptions, runRestic } from "./run-restic.ts";

/** Options of {@link localDriver}. */
export interface LocalDriverOptions {
  /** The restic binary. @default "restic" (found on PATH) */
  readonly resticPath?: string;
  /** The kubelet's root directory on this machine. @default "/var/lib/kubelet" */
  readonly kubeletRootDir?: string;
  /** restic's cache directory, or `false` for none. @default restic's default */
  readonly cacheDir?: string | false;
  /**
   * The node this process runs on: volumes of pods on other nodes are refused (their data is not here).
   * @default undefined (every volume is looked for locally)
   */
  readonly node?: string;
}

/** The local driver: {@link PodVolumeDriver} plus directory-level operations and a raw runner. */
export interface LocalDriver extends PodVolumeDriver {
  /** Runs any command from the builders with the repository's key; never throws for a non-zero exit. */
  run(command: ResticCommand, repository: Repository, options?: RunOptions): Promise<ResticRun>;
  /** Backs up the contents of `directory` (the snapshot holds them at its root). */
  backupDirectory(request: {
    readonly repository: Repository;
    readonly directory: string;
    readonly tags?: Readonly<Record<string, string>>;
    readonly host?: string;
    readonly signal?: AbortSignal;
    readonly onProgress?: (progress: VolumeProgress) => void;
  }): Promise<VolumeBackupOutcome>;
  /** Restores snapshot `snapshotId` into `directory` (created when missing). */
  restoreDirectory(request: {
    readonly repository: Repository;
    readonly directory: string;
    readonly snapshotId: string;
    readonly marker?: string;
    readonly signal?: AbortSignal;
  }): Promise<VolumeRestoreOutcome>;
  /** Where a pod volume is on this machine; throws a ConfigError when it is not here. */
  volumePath(volume: VolumeLocation): Promise<string>;
  /**
   * Forgets snapshots (`restic forget`, no prune: restic's unreferenced data stays until a prune).
   * IDs (full or short) the repository does not hold count as already forgotten; the repository is
   * listed again afterwards, and a snapshot still there is an error. A missing repository, a wrong key
   * or a lock is a {@link ResticError}.
   */
  forgetSnapshots(
    repository: Repository,
    snapshotIds: readonly string[],
    options?: { readonly signal?: AbortSignal },
  ): Promise<{ forgotten: string[]; alreadyGone: string[] }>;
  /**
   * Prunes the repository (`restic prune`): frees the data of forgotten snapshots. A missing repository,
   * a wrong key or a lock held by another restic is a {@link ResticError}.
   */
  pruneRepository(repository: Repository, options?: { readonly signal?: AbortSignal }): Promise<PruneOutcome>;
}

/** What one `restic prune` did. */
export interface PruneOutcome {
  readonly durationMs: number;
  /** restic's own account of what it removed, e.g. `total prune: 12 blobs / 3.2 MiB` (empty if it printed none). */
  readonly removed: string;
  /** restic's account of what remains, e.g. `remaining: 80 blobs / 10.1 MiB`. */
  readonly remaining: string;
}

/** Creates the local driver. */
export const localDriver = (options: LocalDriverOptions = {}): LocalDriver => {
  const resticPath = options.resticPath ?? "restic";
  const kubeletRoot = options.kubeletRootDir ?? "/var/lib/kubelet";
  const common: CommonOptions = options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir };

  const run: LocalDriver["run"] = (command, repository, runOptions = {}) =>
    runRestic(resticPath, command, repository, runOptions);

  const failure = (command: ResticCommand, repository: Repository, done: ResticRun) =>
    resticError(command, done.exitCode, done.stderr, {
      repository: repository.address.url,
      keySource: String(repository.key),
    });

  const volumePath = async (volume: VolumeLocation): Promise<string> => {
    if (options.node !== undefined && volume.node !== options.node) {
      throw new ConfigError(
        `the volume ${volume.volumeDir} of pod ${volume.podUid} is on node ${volume.node}, but this local driver runs on ${options.node}: use the Job driver, or run on that node`,
      );
    }
    const volumes = join(kubeletRoot, "pods", volume.podUid, "volumes");
    const found: string[] = [];
    for (const plugin of await readdir(volumes).catch(() => [] as string[])) {
      const candidate = join(volumes, plugin, volume.volumeDir);
      if ((await stat(candidate).catch(() => undefined))?.isDirectory()) found.push(candidate);
    }
    if (found.length !== 1) {
      throw new ConfigError(
        `${found.length === 0 ? "no" : "more than one"} directory ${volume.volumeDir} of pod ${volume.podUid} under ${volumes}/*/: is the pod running on this machine, and is kubeletRootDir (${kubeletRoot}) right?`,
      );
    }
    return found[0]!;
  };

  const backupDirectory: LocalDriver["backupDirectory"] = async (request) => {
    const command = backupCommand(request.repository.address, {
      ...common,
      directory: request.directory,
      ...(request.tags ? { tags: request.tags } : {}),
      ...(request.host ? { host: request.host } : {}),
    });
    const started = new Date();
    const done = await run(command, request.repository, {
      ...(request.signal ? { signal: request.signal } : {}),
      onJson: (line) => {
        const progress = progressOf(line);
        if (progress) request.onProgress?.(progress);
      },
    });
    const summary = done.summary as BackupSummary | undefined;
    // exit 3: the snapshot was written but some files could not be read
    if ((done.exitCode !== 0 && done.exitCode !== 3) || !summary?.snapshot_id) {
      throw failure(command, request.repository, done);
    }
    return {
      snapshotId: summary.snapshot_id,
      path: request.directory,
      progress: { totalBytes: summary.total_bytes_processed, bytesDone: summary.total_bytes_processed },
      incrementalBytes: summary.data_added,
      summary,
      warnings: done.exitCode === 3 ? [resticMessage(done.stderr)] : [],
      startTimestamp: started,
      completionTimestamp: new Date(),
    };
  };

  const restoreDirectory: LocalDriver["restoreDirectory"] = async (request) => {
    const command = restoreCommand(request.repository.address, {
      ...common,
      directory: request.directory,
      snapshotId: request.snapshotId,
    });
    const started = new Date();
    await mkdir(request.directory, { recursive: true });
    const done = await run(command, request.repository, request.signal ? { signal: request.signal } : {});
    const summary = done.summary as RestoreSummary | undefined;
    if (done.exitCode !== 0 || !summary) throw failure(command, request.repository, done);
    if (request.marker !== undefined) {
      // as Velero's node agent: drop any .velero/ the data brought along, then write the marker
      await rm(join(request.directory, ".velero"), { recursive: true, force: true });
      await mkdir(join(request.directory, ".velero"), { recursive: true });
      await writeFile(join(request.directory, ".velero", request.marker), "");
    }
    return {
      path: request.directory,
      progress: { totalBytes: summary.total_bytes, bytesDone: summary.bytes_restored },
      summary,
      startTimestamp: started,
      completionTimestamp: new Date(),
    };
  };

  /** The full IDs of the snapshots in the repository. */
  const snapshotIds = async (repository: Repository, signal: { signal?: AbortSignal }): Promise<string[]> => {
    const command = snapshotsCommand(repository.address, common);
    const done = await run(command, repository, { ...signal, collectStdout: true });
    if (done.exitCode !== 0) throw failure(command, repository, done);
    try {
      return (JSON.parse(done.stdout) as Array<{ id?: unknown }>).map((s) => String(s.id));
    } catch (cause) {
      throw new ResticError(
        "failed",
        `restic snapshots for namespace ${command.namespace} printed no JSON list (${done.stdout.slice(0, 80)}…)`,
        { exitCode: done.exitCode, namespace: command.namespace, cause },
      );
    }
  };

  const forgetSnapshots: LocalDriver["forgetSnapshots"] = async (repository, ids, forgetOptions = {}) => {
    const signal = forgetOptions.signal ? { signal: forgetOptions.signal } : {};
    const holds = (present: readonly string[], id: string) => present.some((full) => full.startsWith(id));
    const before = await snapshotIds(repository, signal);
    const forgotten = ids.filter((id) => holds(before, id));
    const alreadyGone = ids.filter((id) => !holds(before, id));
    if (forgotten.length === 0) return { forgotten, alreadyGone };
    const command = forgetCommand(repository.address, { ...common, snapshotIds: forgotten });
    const done = await run(command, repository, signal);
    if (done.exitCode !== 0) throw failure(command, repository, done);
    // restic forget says "Ignoring" and exits 0 when it cannot load a snapshot: check what is left
    const after = await snapshotIds(repository, signal);
    const left = forgotten.filter((id) => holds(after, id));
    if (left.length > 0) {
      throw new ResticError(
        "failed",
        `restic forget for namespace ${command.namespace} left snapshot(s) ${left.join(", ")} in ${repository.address.url}: ${resticMessage(done.stderr) || "no message"}`,
        { exitCode: done.exitCode, namespace: command.namespace },
      );
    }
    return { forgotten, alreadyGone };
  };

  const pruneRepository: LocalDriver["pruneRepository"] = async (repository, pruneOptions = {}) => {
    const command = pruneCommand(repository.address, common);
    const started = Date.now();
    const done = await run(command, repository, {
      ...(pruneOptions.signal ? { signal: pruneOptions.signal } : {}),
      collectStdout: true,
    });
    if (done.exitCode !== 0) throw failure(command, repository, done);
    const line = (label: string) =>
      done.stdout
        .split("\n")
        .find((l) => l.trimStart().startsWith(label))
        ?.trim()
        .replace(/\s+/g, " ") ?? "";
    return { durationMs: Date.now() - started, removed: line("total prune:"), remaining: line("remaining:") };
  };

  return {
    name: "local",
    run,
    volumePath,
    forgetSnapshots,
    pruneRepository,
    backupDirectory,
    restoreDirectory,
    async ensureRepository(repository, ensureOptions = {}) {
      const signal = ensureOptions.signal ? { signal: ensureOptions.signal } : {};
      const probe = probeCommand(repository.address, common);
      const probed = await run(probe, repository, signal);
      if (probed.exitCode === 0) return { created: false };
      if (probed.exitCode !== 10) throw failure(probe, repository, probed);
      const init = initCommand(repository.address, common);
      const created = await run(init, repository, signal);
      if (created.exitCode === 0) return { created: true };
      // a failed init may still have written the repository (or another run's init won): is it there now?
      if ((await run(probe, repository, signal)).exitCode === 0) return { created: false };
      throw failure(init, repository, created);
    },
    async backupVolume(request) {
      const directory = await volumePath(request.volume);
      return backupDirectory({ ...request, directory });
    },
    async restoreVolume(request) {
      const directory = await volumePath(request.volume);
      return restoreDirectory({ ...request, directory });
    },
  };
};
