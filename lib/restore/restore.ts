import { randomUUID } from "node:crypto";
import { createBuiltinRestoreActions } from "../../hooks/index.ts";
import { registeredRestoreItemActions } from "../actions/registered.ts";
import { resolveActions } from "../actions/registry.ts";
import type { RestoreInfo, RestoreItemAction } from "../actions/types.ts";
import { listBackups } from "../backup/catalog.ts";
import { createRunLog } from "../backup/log.ts";
import { StoreError, ValidationError } from "../errors.ts";
import { checkRestoreFilters } from "../filters/index.ts";
import { extractArchive } from "../format/reader.ts";
import { createLimiter } from "../kube/limiter.ts";
import type { KubeObject } from "../kube/types.ts";
import { normalizePodVolumeOptions } from "../podvolume/options.ts";
import { readPodVolumeBackups } from "../podvolume/restore-plan.ts";
import {
  checkSnapshotLocations,
  openSnapshotLocations,
  type SnapshotLocations,
} from "../snapshot/locations.ts";
import { readVolumeRecords } from "../snapshot/stored.ts";
import { openCatalog } from "../store/catalog.ts";
import { encodeJsonGz, goJsonStringify } from "../store/codec.ts";
import { objectNameProblem, restoreKeys } from "../store/layout.ts";
import type { Backup } from "../store/types.ts";
import { kubeTime, nameTimestamp } from "../util/duration.ts";
import { createItemRestorer } from "./item-restorer.ts";
import { createNamespaceEnsurer } from "./namespaces.ts";
import type { RestoreOptions } from "./options.ts";
import { orderGroupResources } from "./ordering.ts";
import { createPodVolumeRestorer } from "./pod-volumes.ts";
import type { PlanEntry, RestoreResult } from "./result.ts";
import { createRestoreVolumeSnapshots } from "./volume-snapshots.ts";

const CRD = "customresourcedefinitions.apiextensions.k8s.io";

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
 * does not exist or did not complete, or an archive that is hostile or unreadable.
 *
 * @example
 * const result = await restore({ cluster, store, backupName: "shop-nightly-20261120020000",
 *   namespaceMapping: { shop: "shop-restored" } });
 */
export const restore = async (options: RestoreOptions): Promise<RestoreResult> => {
  const now = options.now ?? (() => new Date());
  const { cluster, store } = options;
  const problems: string[] = [];
  if (Boolean(options.backupName) === Boolean(options.scheduleName)) {
    problems.push(
      `exactly one of backupName and scheduleName is required, received ${options.backupName ? "both" : "neither"}`,
    );
  }
  const policy = options.existingResourcePolicy ?? "none";
  if (policy !== "none" && policy !== "update") {
    problems.push(`existingResourcePolicy must be "none" or "update", received ${JSON.stringify(policy)}`);
  }
  if (options.name !== undefined) {
    const problem = objectNameProblem(options.name);
    if (problem) problems.push(`name: ${problem}`);
  }
  for (const [from, to] of Object.entries(options.namespaceMapping ?? {})) {
    const problem = objectNameProblem(to);
    if (problem) problems.push(`namespaceMapping ${from}:${to}: ${problem}`);
  }
  let discovery = await cluster.discovery({ refresh: true });
  const checked = checkRestoreFilters(discovery, options);
  problems.push(...checked.problems);
  const snapshotLocations = checkSnapshotLocations(options.volumeSnapshotLocations, problems);
  if (problems.length > 0) throw new ValidationError(problems, "restore options");
  const filters = checked.value;

  const backupName = options.backupName ?? (await newestOfSchedule(store, options.scheduleName!));
  const catalog = openCatalog(store);
  const backupObject: Backup = await catalog.getBackup(backupName);
  const backupPhase = backupObject.status?.phase;
  if (backupPhase !== "Completed" && backupPhase !== "PartiallyFailed") {
    throw new ValidationError([
      `backup "${backupName}" is in phase ${backupPhase ?? "(none)"}: only Completed or PartiallyFailed backups can be restored`,
    ]);
  }
  const started = now();
  const name = options.name ?? `${backupName}-${nameTimestamp(started)}`;
  const keys = restoreKeys(name);
  if (!options.dryRun && (await store.exists(keys.record))) {
    throw new StoreError(`restore "${name}" already exists in ${store.location}: choose another name`, {
      code: "ERR_ALREADY_EXISTS",
    });
  }

  const signal = options.signal ?? new AbortController().signal;
  const log = createRunLog({ key: "restore", name }, { now });
  const mapping = { ...options.namespaceMapping };
  const spec = {
    backupName,
    ...(options.scheduleName ? { scheduleName: options.scheduleName } : {}),
    includedNamespaces: options.includedNamespaces?.length ? [...options.includedNamespaces] : ["*"],
    ...(options.excludedNamespaces?.length ? { excludedNamespaces: [...options.excludedNamespaces] } : {}),
    ...(options.includedResources?.length ? { includedResources: [...options.includedResources] } : {}),
    ...(options.excludedResources?.length ? { excludedResources: [...options.excludedResources] } : {}),
    ...(options.includeClusterResources === undefined
      ? {}
      : { includeClusterResources: options.includeClusterResources }),
    ...(filters.labels.spec.labelSelector ? { labelSelector: filters.labels.spec.labelSelector } : {}),
    ...(filters.labels.spec.orLabelSelectors
      ? { orLabelSelectors: filters.labels.spec.orLabelSelectors }
      : {}),
    ...(Object.keys(mapping).length ? { namespaceMapping: mapping } : {}),
    ...(options.restorePVs === undefined ? {} : { restorePVs: options.restorePVs }),
    ...(options.preserveNodePorts === undefined ? {} : { preserveNodePorts: options.preserveNodePorts }),
    ...(options.existingResourcePolicy ? { existingResourcePolicy: options.existingResourcePolicy } : {}),
  };
  const info: RestoreInfo = { name, backupName, namespaceMapping: mapping, spec };
  const uid = randomUUID();
  // file-system restore of pod volumes: the action adds `restore-wait`, finish() restores the data
  const podVolumes = createPodVolumeRestorer({
    cluster,
    records: await readPodVolumeBackups(store, backupName),
    options: options.podVolumes && (await normalizePodVolumeOptions(options.podVolumes, store)),
    restore: { name, uid },
    log,
    dryRun: options.dryRun === true,
    signal,
  });
  const actions = resolveActions<RestoreItemAction>(
    [
      ...(options.builtinActions === false
        ? []
        : createBuiltinRestoreActions(
            options.pluginConfigNamespace ? { pluginConfigNamespace: options.pluginConfigNamespace } : {},
          )),
      ...(options.builtinActions === false ? [] : [podVolumes.action]),
      ...(options.registeredActions === false ? [] : registeredRestoreItemActions()),
      ...(options.actions ?? []),
    ],
    discovery,
  );
  const statusIncluded = new Set(
    (options.restoreStatus?.includedResources ?? []).map((n) => discovery.find(n)?.groupResource ?? n),
  );
  const statusExcluded = new Set(
    (options.restoreStatus?.excludedResources ?? []).map((n) => discovery.find(n)?.groupResource ?? n),
  );

  const volumeRecords = await readVolumeRecords(catalog, backupName);
  const archive = await extractArchive(await catalog.getBackupContents(backupName), { signal });
  let volumeLocations: SnapshotLocations | undefined;
  const plan: PlanEntry[] = [];
  const resourceList = new Map<string, string[]>();
  let totalItems = 0;
  try {
    // snapshotters are initialised (config and credentials checked) before anything is restored
    if (snapshotLocations.length > 0 && options.restorePVs !== false) {
      volumeLocations = await openSnapshotLocations(snapshotLocations);
    }
    const volumes = createRestoreVolumeSnapshots({
      cluster,
      records: volumeRecords,
      locations: volumeLocations,
      namespaceMapping: mapping,
      restorePVs: options.restorePVs,
      dryRun: options.dryRun === true,
      timeoutMs: options.snapshotTimeoutMs ?? 600_000,
      terminatingTimeoutMs: 10 * 60_000,
      signal,
      onProgress: (persistentVolume, p) =>
        options.onProgress?.({
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
      dryRun: options.dryRun === true,
      policy,
      signal,
      crdTimeoutMs: options.crdTimeoutMs ?? 60_000,
      volumes,
      restoreStatus: (gr) => (statusIncluded.has("*") || statusIncluded.has(gr)) && !statusExcluded.has(gr),
      discovery: () => discovery,
      namespaces: createNamespaceEnsurer({
        cluster,
        dryRun: options.dryRun === true,
        signal,
        terminatingTimeoutMs: 10 * 60_000,
        backedUp: async (original) => {
          const ref = { groupResource: "namespaces", name: original };
          return archive.hasItem(ref) ? ((await archive.readItem(ref)) as KubeObject) : undefined;
        },
      }),
      record: (entry, gvk) => {
        plan.push(entry);
        if (gvk && entry.action !== "skip") {
          const outcome = { create: "created", update: "updated", conflict: "skipped", fail: "failed" }[
            entry.action
          ];
          const list = resourceList.get(gvk) ?? [];
          list.push(`${entry.namespace ? `${entry.namespace}/` : ""}${entry.name}(${outcome})`);
          resourceList.set(gvk, list);
        }
        options.onProgress?.({ itemsRestored: items.itemsRestored, totalItems, resource: entry.resource });
      },
    });
    const refsOf = (gr: string) => {
      const entry = archive.index.resources.get(gr);
      if (!entry) return [];
      return [
        ...entry.cluster.map((name) => ({ groupResource: gr, name })),
        ...[...entry.namespaced].flatMap(([namespace, names]) =>
          names.map((name) => ({ groupResource: gr, namespace, name })),
        ),
      ];
    };
    totalItems = archive.index.itemCount;
    const limiter = createLimiter(options.concurrency ?? 16);
    const order = orderGroupResources(archive.index.resources.keys(), discovery, options.priorities);
    // CRDs first, in their own pass, then discovery is refreshed so their custom resources resolve
    const passes = order.includes(CRD) ? [[CRD], order.filter((gr) => gr !== CRD)] : [order];
    for (const pass of passes) {
      for (const gr of pass) {
        await Promise.all(refsOf(gr).map((ref) => limiter.run(() => items.restoreItem(ref))));
      }
      if (pass[0] === CRD && pass.length === 1) discovery = await cluster.discovery({ refresh: true });
    }
    await podVolumes.finish();
    const completed = now();
    const phase = log.errors > 0 ? "PartiallyFailed" : "Completed";
    log.info(`restore completed with phase ${phase}`);
    const results = log.results();
    if (!options.dryRun) {
      const record = {
        kind: "Restore",
        apiVersion: "velero.io/v1",
        metadata: {
          name,
          namespace: "velero",
          uid,
          creationTimestamp: kubeTime(started),
          labels: { "velero.io/backup-name": backupName },
        },
        spec,
        status: {
          phase,
          startTimestamp: kubeTime(started),
          completionTimestamp: kubeTime(completed),
          ...(log.warnings ? { warnings: log.warnings } : {}),
          ...(log.errors ? { errors: log.errors } : {}),
          progress: { totalItems, itemsRestored: items.itemsRestored },
        },
      };
      const sortedList = Object.fromEntries(
        [...resourceList.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.sort()]),
      );
      await Promise.all([
        store.put(keys.logs, await log.finish()),
        store.put(keys.results, encodeJsonGz(results)),
        store.put(keys.resourceList, encodeJsonGz(sortedList)),
        store.put(keys.itemOperations, encodeJsonGz([])),
        store.put(keys.volumeInfo, encodeJsonGz([...volumes.volumeInfo(), ...podVolumes.volumeInfo()])),
      ]);
      await store.put(keys.record, `${goJsonStringify(record, 2)}\n`);
    }
    return {
      name,
      backupName,
      phase,
      dryRun: options.dryRun === true,
      counts: { itemsRestored: items.itemsRestored, totalItems, warnings: log.warnings, errors: log.errors },
      warnings: results.warnings,
      errors: results.errors,
      plan,
      startTimestamp: kubeTime(started),
      completionTimestamp: kubeTime(completed),
      durationMs: completed.getTime() - started.getTime(),
    };
  } finally {
    await volumeLocations?.close();
    await archive.cleanup();
  }
};
