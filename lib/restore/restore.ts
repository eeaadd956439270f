import { randomUUID } from "node:crypto";
import { builtinRestoreActions } from "../actions/builtin.ts";
import { registeredRestoreItemActions } from "../actions/registered.ts";
import { resolveActions } from "../actions/registry.ts";
import type { RestoreInfo, RestoreItemAction } from "../actions/types.ts";
import { FormatError, StoreError, ValidationError } from "../errors.ts";
import { extractArchive } from "../format/reader.ts";
import { createRestoreHookRun } from "../hooks/restore-hooks.ts";
import {
  checkRunHooks,
  type RunHookContext,
  type RunHookGate,
  runVerify,
  type VerifyOutcome,
  withRunHooks,
} from "../hooks/run.ts";
import type { KubeObject } from "../kube/types.ts";
import { createRunLog } from "../log/run-log.ts";
import { normalizePodVolumeOptions } from "../podvolume/options.ts";
import { readPodVolumeBackups } from "../podvolume/restore-plan.ts";
import { openSnapshotLocations, type SnapshotLocations } from "../snapshot/locations.ts";
import { readVolumeRecords } from "../snapshot/stored.ts";
import { openCatalog } from "../store/catalog.ts";
import { listBackups } from "../store/records.ts";
import type { Backup } from "../store/types.ts";
import { kubeTime, nameTimestamp } from "../util/duration.ts";
import { restoreHookAction } from "./hooks.ts";
import { checkIdentity, refusal } from "./item-checks.ts";
import { createItemRestorer } from "./item-restorer.ts";
import { createNamespaceEnsurer } from "./namespaces.ts";
import type { RestoreOptions } from "./options.ts";
import { restoreInOrder } from "./passes.ts";
import { createPodVolumeRestorer } from "./pod-volumes.ts";
import { RESTORE_NAME_LABEL, validLabelValue } from "./reset.ts";
import { resolveRestoreOptions, TERMINATING_TIMEOUT_MS } from "./resolve.ts";
import {
  createRestoredResourceList,
  type PlanEntry,
  type RestorePhase,
  type RestoreResult,
  restoreRecord,
} from "./result.ts";
import { createRestoreVolumeSnapshots } from "./volume-snapshots.ts";

/** The newest Completed backup of a schedule (label `velero.io/schedule-name`), by start time. */
const newestOfSchedule = async (store: RestoreOptions["store"], schedule: string): Promise<string> => {
  const newest = (await listBackups(store)).find(
    (b) => b.metadata?.labels?.["velero.io/schedule-name"] === schedule && b.status?.phase === "Completed",
  )?.metadata?.name;
  if (!newest) {
    throw new StoreError(
      `no Completed backup of schedule "${schedule}" in ${store.location}: list the backups (listBackups) to see what exists`,
      { code: "ERR_NOT_FOUND" },
    );
  }
  return newest;
};

/**
 * Restores a backup — one Stowage or Velero wrote — into a cluster, in Velero's order and with its
 * semantics, creating the objects of each priority group in parallel. With `dryRun` it returns the
 * plan (every object: create / update / skip / conflict / fail, with the reason), validated by
 * server-side dry run, and writes nothing anywhere.
 *
 * Throws only when the whole restore cannot run: invalid options (`ValidationError`), a backup that
 * does not exist or did not complete, or an archive that is hostile or unreadable (nothing is recorded
 * then); or when it is aborted through `signal` (`AbortError`; the restore is recorded as Failed, with
 * its results and log); or when its `hooks.before` throws (`RunHookError` `ERR_HOOK`, nothing recorded).
 * An item the archive lies about — filed under a scope the cluster's discovery contradicts, named or
 * namespaced differently in its JSON than in its path, or not a JSON object — is refused on its own: an
 * error against its namespace, and the restore ends PartiallyFailed. `hooks.after` runs whatever the
 * outcome once `hooks.before` succeeded; `verify` runs once everything is restored, and its problems are
 * errors of the restore (see {@link RestoreOptions}).
 *
 * @example
 * const result = await restore({ cluster, store, backupName: "shop-nightly-20261120020000",
 *   namespaceMapping: { shop: "shop-restored" } });
 */
export const restore = async (options: RestoreOptions): Promise<RestoreResult> => {
  checkRunHooks(options.hooks, { verify: options.verify });
  return withRunHooks(options.hooks, options.signal, (gate) => restoreRun(options, gate));
};

/** The restore itself; `hooks.before` runs at its gate (`runHooks.before`), just before the name claim. */
const restoreRun = async (
  options: RestoreOptions,
  runHooks: RunHookGate<RunHookContext<RestoreOptions> & { readonly backupName: string }>,
): Promise<RestoreResult> => {
  // resolve: every option checked (one ValidationError) before the backup is read
  let discovery = await options.cluster.discovery({ refresh: true });
  const resolved = resolveRestoreOptions(options, discovery);
  const { cluster, store, now, dryRun, filters, namespaceMapping: mapping } = resolved;

  // the backup: named, or the newest of a schedule; it must have completed
  const backupName =
    "backupName" in resolved.source
      ? resolved.source.backupName
      : await newestOfSchedule(store, resolved.source.scheduleName);
  const catalog = openCatalog(store);
  const backupObject: Backup = await catalog.getBackupMetadata(backupName);
  const backupPhase = backupObject.status?.phase;
  if (backupPhase !== "Completed" && backupPhase !== "PartiallyFailed") {
    throw new ValidationError([
      `backup "${backupName}" is in phase ${backupPhase ?? "(none)"}: only Completed or PartiallyFailed backups can be restored`,
    ]);
  }

  // claim the name: it must not exist yet (a dry run writes nothing)
  const started = now();
  const name = resolved.name ?? `${backupName}-${nameTimestamp(started)}`;
  // asked in a dry run too: the catalog checks the generated name
  if ((await catalog.restoreExists(name)) && !dryRun) {
    throw new StoreError(`restore "${name}" already exists in ${store.location}: choose another name`, {
      code: "ERR_ALREADY_EXISTS",
    });
  }
  const uid = randomUUID();
  const run = { uid, started };
  let recorded = false;

  /** Everything after the claim: opens, restores and records the run. */
  const restoreClaimed = async (): Promise<RestoreResult> => {
    // open: the run's log, pod volume restorer, actions and the archive
    const signal = resolved.signal ?? new AbortController().signal;
    const log = createRunLog({ key: "restore", name }, { now });
    runHooks.log(log);
    const spec = { backupName, ...resolved.spec };
    const info: RestoreInfo = { name, backupName, namespaceMapping: mapping, spec };
    // file-system restore of pod volumes: the action adds `restore-wait`, finish() restores the data
    const podVolumes = createPodVolumeRestorer({
      cluster,
      records: await readPodVolumeBackups(store, backupName),
      options: resolved.podVolumes && (await normalizePodVolumeOptions(resolved.podVolumes, store)),
      restore: { name, uid },
      log,
      dryRun,
      signal,
    });
    // restore hooks: init containers through their action, exec hooks once their pods are created
    const hooks = createRestoreHookRun({
      resources: resolved.hooks.resources,
      log,
      dryRun,
      signal,
      exec: (execOptions) => cluster.exec(execOptions),
      listPods: (namespace, listSignal) =>
        cluster.list("pods", {
          namespace,
          labelSelector: `${RESTORE_NAME_LABEL}=${validLabelValue(name)}`,
          signal: listSignal,
        }),
    });
    const { pluginConfigNamespace } = resolved.actions;
    const actions = resolveActions<RestoreItemAction>(
      [
        ...(resolved.actions.builtin
          ? builtinRestoreActions(pluginConfigNamespace ? { pluginConfigNamespace } : {})
          : []),
        ...(resolved.actions.builtin ? [podVolumes.action] : []),
        ...(resolved.actions.registered ? registeredRestoreItemActions() : []),
        ...resolved.actions.own,
        // last: restore hooks come from the pod as it will be created (Velero reads the created pod)
        restoreHookAction(hooks),
      ],
      discovery,
    );
    const volumeRecords = await readVolumeRecords(catalog, backupName);
    const archive = await extractArchive(await catalog.getBackupContents(backupName), {
      ...resolved.archiveLimits,
      signal,
    });
    let volumeLocations: SnapshotLocations | undefined;
    const plan: PlanEntry[] = [];
    const resourceList = createRestoredResourceList();
    const totalItems = archive.index.itemCount;
    try {
      // snapshotters are initialised (config and credentials checked) before anything is restored
      if (resolved.opensSnapshotLocations) {
        volumeLocations = await openSnapshotLocations(resolved.snapshotLocations);
      }
      const volumes = createRestoreVolumeSnapshots({
        cluster,
        records: volumeRecords,
        locations: volumeLocations,
        namespaceMapping: mapping,
        restorePVs: resolved.restorePVs,
        dryRun,
        timeoutMs: resolved.snapshotTimeoutMs,
        terminatingTimeoutMs: TERMINATING_TIMEOUT_MS,
        signal,
        onProgress: (persistentVolume, p) =>
          resolved.onProgress?.({
            itemsRestored: items.itemsRestored,
            totalItems,
            resource: "persistentvolumes",
            volumeSnapshot: { persistentVolume, state: p.state, percent: p.percent },
          }),
      });
      for (const warning of archive.index.warnings) log.warn(warning, { scope: "velero" });
      for (const warning of filters.warnings) log.warn(warning, { scope: "velero" });
      const items = createItemRestorer({
        cluster,
        archive,
        filters,
        actions,
        log,
        restore: info,
        dryRun,
        policy: resolved.policy,
        signal,
        crdTimeoutMs: resolved.crdTimeoutMs,
        volumes,
        restoreStatus: resolved.restoresStatus,
        discovery: () => discovery,
        namespaces: createNamespaceEnsurer({
          cluster,
          dryRun,
          signal,
          terminatingTimeoutMs: TERMINATING_TIMEOUT_MS,
          backedUp: async (original) => {
            const ref = { groupResource: "namespaces", name: original };
            if (!archive.hasItem(ref)) return undefined;
            // as Velero's getNamespace: a backed-up Namespace that cannot be used gives a bare one
            let item: KubeObject | string;
            try {
              item = checkIdentity(ref, await archive.readItem(ref));
            } catch (error) {
              if (!(error instanceof FormatError)) throw error;
              item = refusal(ref, error.message);
            }
            if (typeof item !== "string") return item;
            log.warn(`${item}; namespace ${original} is created without its labels, annotations and spec`, {
              namespace: original,
            });
            return undefined;
          },
        }),
        record: (entry, gvk) => {
          plan.push(entry);
          resourceList.add(entry, gvk);
          if (entry.resource === "pods" && entry.action === "create" && entry.namespace !== undefined) {
            hooks.created({ namespace: entry.namespace, name: entry.name });
          }
          resolved.onProgress?.({ itemsRestored: items.itemsRestored, totalItems, resource: entry.resource });
        },
      });

      /** Sidecar files first, the Restore record last (a dry run writes nothing). */
      const persist = async (phase: RestorePhase | "Failed", completed: Date): Promise<void> => {
        if (dryRun) return;
        const record = restoreRecord({
          name,
          uid,
          backupName,
          spec,
          phase,
          started: kubeTime(started),
          completed: kubeTime(completed),
          warnings: log.warnings,
          errors: log.errors,
          totalItems,
          itemsRestored: items.itemsRestored,
          hookStatus: hooks.counts(),
        });
        await catalog.putRestore(
          name,
          {
            logs: await log.finish(),
            results: log.results(),
            resourceList: resourceList.sorted(),
            itemOperations: [],
            volumeInfo: [...volumes.volumeInfo(), ...podVolumes.volumeInfo()],
          },
          record,
        );
        recorded = true;
      };

      /** The result as it stands at `completed`. */
      const outcome = (phase: RestorePhase, completed: Date): RestoreResult => {
        const results = log.results();
        return {
          name,
          backupName,
          phase,
          dryRun,
          counts: {
            itemsRestored: items.itemsRestored,
            totalItems,
            warnings: log.warnings,
            errors: log.errors,
          },
          warnings: results.warnings,
          errors: results.errors,
          plan,
          hookStatus: hooks.counts(),
          startTimestamp: kubeTime(started),
          completionTimestamp: kubeTime(completed),
          durationMs: completed.getTime() - started.getTime(),
        };
      };
      let verified: VerifyOutcome | undefined;

      // restore: in Velero's order, CRDs first; a failed item is an error of its own, so what stops the
      // run here is an abort (or a failure outside any item): it is still recorded, as Failed
      try {
        await restoreInOrder({
          archive,
          discovery,
          priorities: resolved.priorities,
          concurrency: resolved.concurrency,
          restoreItem: (ref) => items.restoreItem(ref),
          refreshDiscovery: async () => {
            discovery = await cluster.discovery({ refresh: true });
          },
        });
        await podVolumes.finish();
        await hooks.finish();
        // the restore's own check, once everything (volumes, hooks) is restored: its problems are errors
        if (options.verify && !dryRun) {
          const result = outcome(log.errors > 0 ? "PartiallyFailed" : "Completed", now());
          verified = await runVerify(options.verify, { cluster, result, signal }, log);
        }
      } catch (error) {
        await hooks.stop();
        log.error(`restore failed: ${error instanceof Error ? error.message : String(error)}`, {
          scope: "velero",
        });
        log.info("restore completed with phase Failed");
        // the original error is what the caller needs; a record that cannot be written adds nothing
        await persist("Failed", now()).catch(() => undefined);
        throw error;
      }
      const completed = now();
      const phase = log.errors > 0 ? "PartiallyFailed" : "Completed";
      log.info(`restore completed with phase ${phase}`);
      const result = outcome(phase, completed);
      await persist(phase, completed);
      return verified ? { ...result, verify: verified } : result;
    } finally {
      await volumeLocations?.close();
      await archive.cleanup();
    }
  };

  // every check passed and nothing is written yet: the run-level `before` hook runs here (not in a dry run)
  if (!dryRun) {
    const signal = resolved.signal ?? new AbortController().signal;
    const subject = `restore "${name}"`;
    await runHooks.before({ cluster, name, backupName, options, signal }, { subject, where: store.location });
  }
  // race-free: of two runs with one name exactly one gets past here; the other writes and deletes nothing
  if (!dryRun) await catalog.claimRestore(name, run);
  try {
    return await restoreClaimed();
  } catch (error) {
    // a run that did not record itself leaves nothing under its name, its claim removed last
    if (!dryRun && !recorded) await catalog.discardRestoreFiles(name, run);
    throw error;
  }
};
