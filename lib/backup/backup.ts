import { randomUUID } from "node:crypto";
import { createBuiltinBackupActions } from "../../hooks/index.ts";
import { registeredBackupItemActions } from "../actions/registered.ts";
import { resolveActions } from "../actions/registry.ts";
import type { BackupInfo, BackupItemAction } from "../actions/types.ts";
import { StoreError, StowageError, ValidationError } from "../errors.ts";
import { createArchiveWriter } from "../format/writer.ts";
import type { ApiResource } from "../kube/discovery.ts";
import type { KubeObject } from "../kube/types.ts";
import { normalizePodVolumeOptions } from "../podvolume/options.ts";
import { checkSnapshotLocations, openSnapshotLocations } from "../snapshot/locations.ts";
import { encodeBackupMetadata, encodeJsonGz } from "../store/codec.ts";
import { backupKeys, objectNameProblem } from "../store/layout.ts";
import type { BackupSpec } from "../store/types.ts";
import { kubeTime, parseDuration } from "../util/duration.ts";
import { collect } from "./collector.ts";
import { createItemBackupper } from "./item-backupper.ts";
import { createRunLog } from "./log.ts";
import { buildBackupObject, recordedSpec } from "./metadata.ts";
import type { BackupOptions, BackupProgress } from "./options.ts";
import { buildCollectionPlan, checkFilters, specFilterFields } from "./plan-builder.ts";
import { createPodVolumeBackupper } from "./pod-volumes.ts";
import type { BackupResult } from "./result.ts";
import { createBackupVolumeSnapshots } from "./volume-snapshots.ts";

const DEFAULT_TTL = "720h";
const CRD = "customresourcedefinitions.apiextensions.k8s.io";

/**
 * Backs up a cluster's API objects into a store, in Velero 1.18's exact format, and returns the outcome
 * as data. Throws only when the whole backup fails: invalid options ({@link ValidationError}, nothing
 * written), a name that already exists ({@link StoreError} `ERR_ALREADY_EXISTS`, the existing backup
 * untouched), or a store/cluster failure (everything this run wrote is removed again).
 *
 * @example
 * const result = await backup({ cluster, store: fsStore("./backups"), name: "shop-nightly",
 *   includedNamespaces: ["shop"], ttl: "720h" });
 * console.log(result.phase, result.counts);
 */
export const backup = async (options: BackupOptions): Promise<BackupResult> => {
  const now = options.now ?? (() => new Date());
  const problems: string[] = [];
  const nameProblem = objectNameProblem(options.name);
  if (nameProblem) problems.push(`name: ${nameProblem}`);
  let ttlMs = 0;
  try {
    ttlMs = parseDuration(options.ttl ?? DEFAULT_TTL, "ttl");
  } catch (error) {
    problems.push(...(error as ValidationError).problems);
  }
  const { cluster, store, name } = options;
  const discovery = await cluster.discovery({ refresh: true });
  const filters = checkFilters(discovery, options, problems);
  const snapshotLocations = checkSnapshotLocations(options.volumeSnapshotLocations, problems, {
    onePerProvider: true,
  });
  const snapshotTimeoutMs = options.snapshotTimeoutMs ?? 600_000;
  if (!(snapshotTimeoutMs > 0))
    problems.push(`snapshotTimeoutMs must be a positive number, got ${snapshotTimeoutMs}`);
  if (problems.length > 0) throw new ValidationError(problems, `backup "${String(options.name)}" options`);
  const filterFields = specFilterFields(options, filters);
  // file-system backup: its restic backend is resolved (ConfigError) before anything is written
  const podVolumeOptions = options.podVolumes && (await normalizePodVolumeOptions(options.podVolumes, store));

  const keys = backupKeys(name);
  if (await store.exists(keys.metadata)) {
    throw new StoreError(
      `backup "${name}" already exists in ${store.location}: choose another name, or delete the old one first (deleteBackup)`,
      { code: "ERR_ALREADY_EXISTS" },
    );
  }

  const started = now();
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const signal = controller.signal;
  const log = createRunLog({ key: "backup", name }, { now });
  const plan = await buildCollectionPlan({ cluster, discovery, filters, options, signal });
  const version = await cluster.version();

  const labels: Record<string, string> = {
    ...options.labels,
    "velero.io/storage-location": options.storageLocation ?? "default",
  };
  const spec: BackupSpec = recordedSpec(
    {
      ...filterFields,
      storageLocation: options.storageLocation,
      volumeSnapshotLocations: snapshotLocations.map((location) => location.name),
      snapshotVolumes: options.snapshotVolumes,
      defaultVolumesToFsBackup: options.defaultVolumesToFsBackup,
      orderedResources:
        options.orderedResources && Object.keys(options.orderedResources).length
          ? { ...options.orderedResources }
          : undefined,
    },
    ttlMs,
  );
  const info: BackupInfo = { name, labels, spec: spec as Record<string, unknown> };
  const actions = resolveActions<BackupItemAction>(
    [
      ...(options.builtinActions === false ? [] : createBuiltinBackupActions()),
      ...(options.registeredActions === false ? [] : registeredBackupItemActions()),
      ...(options.actions ?? []),
    ],
    discovery,
  );

  // snapshotters are initialised (config and credentials checked) before anything is written
  const volumeLocations =
    snapshotLocations.length > 0 && options.snapshotVolumes !== false
      ? await openSnapshotLocations(snapshotLocations)
      : undefined;
  const uid = randomUUID();
  // gzip BestSpeed (level 1), not Go's default 6 that Velero uses: on Kubernetes objects it needs ~2.3×
  // less CPU for an archive ~15–50% larger, and compression is the largest cost of a backup beyond the
  // LIST itself (bench: scripts/bench). Any level reads back the same; the format does not change.
  const writer = createArchiveWriter({ now, compressionLevel: 1 });
  const upload = store.put(keys.contents, writer.stream, { contentType: "application/gzip", signal });
  upload.catch(() => {}); // awaited below; never an unhandled rejection
  let totalItems = 0;
  let resourcesDone = 0;
  let lastProgress = 0;
  const progress = (
    phase: BackupProgress["phase"],
    force = false,
    volumeSnapshot?: BackupProgress["volumeSnapshot"],
  ) => {
    if (!options.onProgress) return;
    const t = Date.now();
    if (!force && t - lastProgress < 100) return;
    lastProgress = t;
    options.onProgress({
      phase,
      itemsBackedUp: items.itemsBackedUp,
      totalItems,
      resourcesDone,
      resourcesTotal: plan.resources.length,
      ...(volumeSnapshot ? { volumeSnapshot } : {}),
    });
  };
  const volumes = createBackupVolumeSnapshots({
    backupName: name,
    backupUID: uid,
    labels,
    locations: volumeLocations,
    snapshotVolumes: options.snapshotVolumes,
    timeoutMs: snapshotTimeoutMs,
    signal,
    log,
    onProgress: (persistentVolume, p) =>
      progress("collecting", true, { persistentVolume, state: p.state, percent: p.percent }),
  });
  const pvcs = discovery.forGroupResource("persistentvolumeclaims");
  const podVolumes = createPodVolumeBackupper({
    cluster,
    options: podVolumeOptions || undefined,
    backup: { name, uid, storageLocation: options.storageLocation ?? "default" },
    log,
    defaultVolumesToFsBackup: options.defaultVolumesToFsBackup === true,
    includesPvcs: pvcs ? plan.includesResource(pvcs, true) : true,
    signal,
    now,
  });
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
  });

  try {
    log.info(`Including namespaces: ${plan.namespaces?.join(", ") ?? "*"}`);
    log.info(`Excluding namespaces: ${(options.excludedNamespaces ?? []).join(", ") || "<none>"}`);
    for (const warning of plan.warnings) log.warn(warning, { scope: "velero" });
    for (const ns of plan.missingNamespaces)
      log.error(`included namespace "${ns}" does not exist in the cluster`, { scope: "velero" });
    await collect({
      cluster,
      plan,
      concurrency: options.listConcurrency ?? 8,
      pageSize: options.pageSize ?? 500,
      signal,
      orderedResources: options.orderedResources ?? {},
      onItem: (resource, item) => {
        totalItems++;
        return items.backupItem(resource, item, false);
      },
      onListed: (resource, count) => {
        resourcesDone++;
        log.info(`Listed ${count} items`, { resource: resource.groupResource });
        progress("collecting");
      },
      onResourceError: (resource, namespace, error) =>
        log.error("error listing items", {
          resource: resource.groupResource,
          namespace,
          error: (error as Error).message,
        }),
    });
    const extra = { items, count: () => totalItems++ };
    if (plan.writeNamespaces) {
      // namespaces holding backed-up items, and those the filters include (when no selector narrows them)
      await addFromList(extra, discovery.forGroupResource("namespaces"), plan.namespaceObjects, (ns) => {
        const name = ns.metadata?.name ?? "";
        const active = (ns.status as { phase?: string } | undefined)?.phase === "Active";
        return (
          items.namespacesSeen.has(name) ||
          (plan.namespaceObjectsByFilter && plan.includesNamespace(name) && active)
        );
      });
    }
    if (plan.addCrds) {
      const crds = discovery.forGroupResource(CRD);
      const listed = crds ? await cluster.list(crds, { signal }) : [];
      await addFromList(extra, crds, listed, (crd) => {
        const spec = crd.spec as { group?: string; names?: { plural?: string } } | undefined;
        return items.backedUpResources.has(`${spec?.names?.plural}.${spec?.group}`);
      });
    }
    const podVolumeBackups = await podVolumes.finish();
    progress("uploading", true);
    await writer.finalize();
    await upload;

    const completed = now();
    const phase = log.errors > 0 ? "PartiallyFailed" : "Completed";
    log.info(`Backup completed with phase ${phase}`, { itemsBackedUp: items.itemsBackedUp });
    const results = log.results();
    const backupObject = buildBackupObject({
      name,
      uid,
      created: started,
      labels,
      annotations: {
        ...options.annotations,
        "velero.io/resource-timeout": "10m0s",
        "velero.io/source-cluster-k8s-gitversion": version.gitVersion,
        "velero.io/source-cluster-k8s-major-version": version.major,
        "velero.io/source-cluster-k8s-minor-version": version.minor,
      },
      spec,
      status: {
        version: 1,
        formatVersion: "1.1.0",
        expiration: kubeTime(new Date(started.getTime() + ttlMs)),
        phase,
        startTimestamp: kubeTime(started),
        completionTimestamp: kubeTime(completed),
        ...(log.warnings > 0 ? { warnings: log.warnings } : {}),
        ...(log.errors > 0 ? { errors: log.errors } : {}),
        ...(volumes.attempted > 0 ? { volumeSnapshotsAttempted: volumes.attempted } : {}),
        ...(volumes.completed > 0 ? { volumeSnapshotsCompleted: volumes.completed } : {}),
        progress: { totalItems: items.itemsBackedUp, itemsBackedUp: items.itemsBackedUp },
        hookStatus: {},
      },
    });
    // sidecar files first, velero-backup.json last: its presence means "complete"
    await Promise.all([
      store.put(keys.logs, await log.finish(), { signal }),
      store.put(keys.resourceList, encodeJsonGz(items.resourceList()), { signal }),
      store.put(keys.results, encodeJsonGz(results), { signal }),
      store.put(keys.volumeSnapshots, encodeJsonGz(volumes.records()), { signal }),
      store.put(keys.podVolumeBackups, encodeJsonGz(podVolumeBackups), { signal }),
      store.put(keys.itemOperations, encodeJsonGz([]), { signal }),
      store.put(keys.volumeInfo, encodeJsonGz([...volumes.volumeInfo(), ...podVolumes.volumeInfo()]), {
        signal,
      }),
    ]);
    await store.put(keys.metadata, encodeBackupMetadata(backupObject), { ifNoneMatch: true, signal });
    progress("done", true);
    return {
      name,
      phase,
      counts: {
        itemsBackedUp: items.itemsBackedUp,
        totalItems: items.itemsBackedUp,
        warnings: log.warnings,
        errors: log.errors,
      },
      warnings: results.warnings,
      errors: results.errors,
      startTimestamp: kubeTime(started),
      completionTimestamp: kubeTime(completed),
      expiration: backupObject.status?.expiration ?? "",
      durationMs: completed.getTime() - started.getTime(),
      location: store.location,
      backup: backupObject,
    };
  } catch (error) {
    writer.abort(error);
    controller.abort(error);
    await upload.catch(() => undefined);
    await volumes.discard(); // nothing would know about these snapshots once the backup is removed
    // nothing half-written: remove every key this run may have written (the name did not exist before)
    await Promise.all(
      Object.entries(keys)
        .filter(([k]) => k !== "dir" && k !== "metadata")
        .map(([, key]) => store.delete(key as string).catch(() => undefined)),
    );
    if (error instanceof StowageError) throw error;
    throw new StowageError(
      "ERR_STORE",
      `backup "${name}" failed and was removed from ${store.location}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await volumeLocations?.close();
  }
};

/**
 * Backs up, as additional items, the `listed` objects of `resource` that `wanted` selects: Velero's
 * namespace objects (nsTracker) and the CRDs of backed-up custom resources.
 */
const addFromList = async (
  ctx: {
    items: ReturnType<typeof createItemBackupper>;
    count: () => void;
  },
  resource: ApiResource | undefined,
  listed: readonly KubeObject[],
  wanted: (item: KubeObject) => boolean,
) => {
  if (!resource) return;
  for (const item of listed) {
    if (!wanted(item)) continue;
    ctx.count();
    await ctx.items.backupItem(resource, item, true);
  }
};
