import { randomUUID } from "node:crypto";
import { builtinBackupActions } from "../actions/builtin.ts";
import { registeredBackupItemActions } from "../actions/registered.ts";
import { resolveActions } from "../actions/registry.ts";
import type { BackupInfo, BackupItemAction } from "../actions/types.ts";
import { StoreError, StowageError } from "../errors.ts";
import { createArchiveWriter } from "../format/writer.ts";
import { createBackupHookRunner } from "../hooks/backup.ts";
import { checkRunHooks, type RunHookContext, type RunHookGate, withRunHooks } from "../hooks/run.ts";
import { createRunLog } from "../log/run-log.ts";
import { normalizePodVolumeOptions } from "../podvolume/options.ts";
import { openSnapshotLocations } from "../snapshot/locations.ts";
import { openCatalog } from "../store/catalog.ts";
import { collectAll } from "./collect-all.ts";
import { createItemBackupper } from "./item-backupper.ts";
import { completedBackupObject } from "./metadata.ts";
import type { BackupOptions } from "./options.ts";
import { buildCollectionPlan } from "./plan-builder.ts";
import { createPodVolumeBackupper } from "./pod-volumes.ts";
import { createProgressReporter } from "./progress.ts";
import { resolveBackupOptions } from "./resolve.ts";
import { type BackupResult, backupResult } from "./result.ts";
import { createRunProgress } from "./run-progress.ts";
import { createBackupVolumeSnapshots } from "./volume-snapshots.ts";

/**
 * Backs up a cluster's API objects into a store, in Velero 1.18's exact format, and returns the outcome
 * as data. Throws only when the whole backup fails: invalid options ({@link ValidationError}, nothing
 * written), a name that already exists ({@link StoreError} `ERR_ALREADY_EXISTS`, the existing backup
 * untouched), a `hooks.before` that threw ({@link RunHookError} `ERR_HOOK`, nothing written), or a
 * store/cluster failure (everything this run wrote is removed again). `hooks.after` runs whatever the
 * outcome once `hooks.before` succeeded (see {@link RunHooks}).
 *
 * @example
 * const result = await backup({ cluster, store: fsStore("./backups"), name: "shop-nightly",
 *   includedNamespaces: ["shop"], ttl: "720h" });
 * console.log(result.phase, result.counts);
 */
export const backup = async (options: BackupOptions): Promise<BackupResult> => {
  checkRunHooks(options.hooks);
  return withRunHooks(options.hooks, options.signal, (gate) => backupRun(options, gate));
};

/** The backup itself; `hooks.before` runs at its gate (`runHooks.before`), just before the name claim. */
const backupRun = async (
  options: BackupOptions,
  runHooks: RunHookGate<RunHookContext<BackupOptions>>,
): Promise<BackupResult> => {
  // resolve: every option checked (one ValidationError) before anything is written
  const discovery = await options.cluster.discovery({ refresh: true });
  const resolved = resolveBackupOptions(options, discovery);
  const { cluster, store, name, now, labels, spec } = resolved;
  // file-system backup: its restic backend is resolved (ConfigError) before anything is written
  const podVolumeOptions =
    resolved.podVolumes && (await normalizePodVolumeOptions(resolved.podVolumes, store));

  // the name must not exist yet (checked again, race-free, by the claim below)
  const catalog = openCatalog(store);
  if (await catalog.backupExists(name)) {
    throw new StoreError(
      `backup "${name}" already exists in ${store.location}: choose another name, or delete the old one first (deleteBackup)`,
      { code: "ERR_ALREADY_EXISTS" },
    );
  }

  // open: the run's signal and log, the plan, actions and snapshotters
  const started = now();
  const controller = new AbortController();
  const onAbort = () => controller.abort(resolved.signal?.reason);
  resolved.signal?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;
  const log = createRunLog({ key: "backup", name }, { now });
  const plan = await buildCollectionPlan({
    cluster,
    discovery,
    filters: resolved.filters,
    options: resolved.options,
    signal,
  });
  const version = await cluster.version();
  const info: BackupInfo = { name, labels, spec: spec as Record<string, unknown> };
  const actions = resolveActions<BackupItemAction>(
    [
      ...(resolved.actions.builtin ? builtinBackupActions() : []),
      ...(resolved.actions.registered ? registeredBackupItemActions() : []),
      ...resolved.actions.own,
    ],
    discovery,
  );
  // snapshotters are initialised (config and credentials checked) before anything is written
  const volumeLocations = resolved.takesSnapshots
    ? await openSnapshotLocations(resolved.snapshotLocations)
    : undefined;
  const uid = randomUUID();
  const run = { uid, started };
  // what the run makes that costs money or space, recorded as soon as it exists (crash-safe cleanup)
  const runProgress = createRunProgress({
    catalog,
    name,
    uid,
    started,
    now,
    heartbeatMs: resolved.heartbeatMs,
  });

  // write: the archive streams to the store while items are collected
  // gzip BestSpeed (level 1), not Go's default 6 that Velero uses: on Kubernetes objects it needs ~2.3×
  // less CPU for an archive ~15–50% larger, and compression is the largest cost of a backup beyond the
  // LIST itself (bench: scripts/bench). Any level reads back the same; the format does not change.
  const writer = createArchiveWriter({ now, compressionLevel: 1 });
  let upload: Promise<void> | undefined;
  let claimed = false;
  let totalItems = 0;
  let resourcesDone = 0;
  const progress = createProgressReporter(resolved.onProgress, () => ({
    itemsBackedUp: items.itemsBackedUp,
    totalItems,
    resourcesDone,
    resourcesTotal: plan.resources.length,
  }));
  const volumes = createBackupVolumeSnapshots({
    backupName: name,
    backupUID: uid,
    labels,
    locations: volumeLocations,
    snapshotVolumes: resolved.snapshotVolumes,
    timeoutMs: resolved.snapshotTimeoutMs,
    signal,
    log,
    onProgress: (persistentVolume, p) =>
      progress("collecting", true, { persistentVolume, state: p.state, percent: p.percent }),
    onSnapshot: (snapshot) => runProgress.volumeSnapshot(snapshot),
  });
  const pvcs = discovery.forGroupResource("persistentvolumeclaims");
  const podVolumes = createPodVolumeBackupper({
    cluster,
    options: podVolumeOptions || undefined,
    backup: { name, uid, storageLocation: resolved.storageLocation },
    log,
    defaultVolumesToFsBackup: resolved.defaultVolumesToFsBackup,
    includesPvcs: pvcs ? plan.includesResource(pvcs, true) : true,
    signal,
    now,
    progress: {
      repository: (namespace, repository) => runProgress.podVolumeRepository(namespace, repository),
      snapshot: (namespace, snapshotId) => runProgress.podVolumeSnapshot(namespace, snapshotId),
    },
  });
  const hooks = createBackupHookRunner({
    exec: (o) => cluster.exec(o),
    log,
    resources: resolved.resourceHooks.resources,
    signal,
  });
  for (const warning of resolved.hookWarnings) log.warn(warning, { scope: "velero" });
  const items = createItemBackupper({
    cluster,
    plan,
    writer,
    actions,
    log,
    backup: info,
    signal,
    onItem: () => progress("collecting"),
    // a PV whose data goes to restic is not snapshotted (Velero's rule)
    snapshotPv: (pv) => (podVolumes.coversPv(pv) ? Promise.resolve(true) : volumes.snapshotPv(pv)),
    onPod: podVolumes.onPod,
    hooks,
  });

  try {
    // every check passed and nothing is written yet: the run-level `before` hook runs here
    await runHooks.before(
      { cluster, name, options, signal },
      { subject: `backup "${name}"`, where: store.location },
    );
    runHooks.log(log);
    // claim the name before writing anything: of two runs with one name exactly one gets past here,
    // and the other (ERR_ALREADY_EXISTS) leaves every key alone
    await catalog.claimBackup(name, run);
    claimed = true;
    await runProgress.start();
    upload = catalog.putBackupContents(name, writer.stream, { signal });
    upload.catch(() => {}); // awaited below; never an unhandled rejection
    await collectAll({
      cluster,
      plan,
      items,
      log,
      signal,
      concurrency: resolved.listConcurrency,
      pageSize: resolved.pageSize,
      excludedNamespaces: resolved.options.excludedNamespaces ?? [],
      orderedResources: resolved.orderedResources,
      // volume snapshots are taken as PVs are reached: pods (and their pre hooks) go first
      podsFirst: resolved.takesSnapshots,
      onFound: () => totalItems++,
      onListed: () => {
        resourcesDone++;
        progress("collecting");
      },
    });
    const podVolumeBackups = await podVolumes.finish();
    // post hooks wait for their pod's volumes; the log and hookStatus wait for the post hooks
    await hooks.finish();
    progress("uploading", true);
    await writer.finalize();
    await upload;

    const completed = now();
    const phase = log.errors > 0 ? "PartiallyFailed" : "Completed";
    log.info(`Backup completed with phase ${phase}`, { itemsBackedUp: items.itemsBackedUp });
    const results = log.results();
    const backupObject = completedBackupObject(
      { ...resolved, uid },
      {
        phase,
        started,
        completed,
        version,
        itemsBackedUp: items.itemsBackedUp,
        warnings: log.warnings,
        errors: log.errors,
        volumeSnapshotsAttempted: volumes.attempted,
        volumeSnapshotsCompleted: volumes.completed,
        hookStatus: hooks.status(),
      },
    );

    // persist: sidecar files first, velero-backup.json last: its presence means "complete"
    await catalog.putBackup(
      name,
      {
        logs: await log.finish(),
        resourceList: items.resourceList(),
        results,
        volumeSnapshots: volumes.records(),
        podVolumeBackups,
        itemOperations: [],
        volumeInfo: [...volumes.volumeInfo(), ...podVolumes.volumeInfo()],
      },
      backupObject,
      { signal },
    );
    // complete: the records written list everything; the progress record has served
    await runProgress.stop();
    await catalog.deleteBackupProgress(name).catch(() => undefined);
    progress("done", true);

    return backupResult(backupObject, {
      name,
      phase,
      location: store.location,
      itemsBackedUp: items.itemsBackedUp,
      results,
      warnings: log.warnings,
      errors: log.errors,
      started,
      completed,
    });
  } catch (error) {
    // an archive nobody reads (the claim was refused before the upload began) is left to be collected:
    // aborting it would raise an error on a stream without a reader
    if (upload) {
      // the upload may not read the archive yet (a directory store still opening its file): the stream's
      // error needs a listener of its own, or it is an uncaught exception that ends the process
      writer.stream.on("error", () => undefined);
      writer.abort(error);
    }
    controller.abort(error);
    await upload?.catch(() => undefined);
    // post hooks run to their end (bounded by their timeouts) even when the run failed: they undo what
    // pre hooks did (a frozen file system, a database in backup mode)
    await hooks.finish().catch(() => undefined);
    // what the run made goes with it: its native snapshots deleted, its restic snapshots forgotten
    const left = [...(await volumes.discard()), ...(await podVolumes.discard())];
    if (claimed && left.length === 0) {
      // nothing half-written: remove every key this run wrote under the name it claimed, the claim last
      await runProgress.stop();
      await catalog.discardBackupFiles(name, run);
    } else if (claimed) {
      // what could not be removed stays listed in the progress record, under the claim, for
      // `deleteBackup` (or GC, once the run is abandoned) to remove
      await runProgress
        .stop(`the run failed and could not remove: ${left.join("; ")}`)
        .catch(() => undefined);
      await catalog.discardBackupFiles(name).catch(() => undefined);
    }
    const cause = (error as Error).message;
    if (claimed && left.length > 0) {
      throw new StowageError(
        error instanceof StowageError ? error.code : "ERR_STORE",
        `backup "${name}" failed (${cause}) and some of the snapshots it made could not be removed (${left.join("; ")}): its claim and progress record stay in ${store.location} listing them; "stowage backup delete ${name}" (deleteBackup) removes them, or GC once the run counts as abandoned`,
        { cause: error },
      );
    }
    if (error instanceof StowageError) throw error;
    throw new StowageError(
      "ERR_STORE",
      `backup "${name}" failed and was removed from ${store.location}: ${cause}`,
      { cause: error },
    );
  } finally {
    resolved.signal?.removeEventListener("abort", onAbort);
    await volumeLocations?.close();
  }
};
