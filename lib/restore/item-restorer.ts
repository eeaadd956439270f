import type { ActionSet } from "../actions/registry.ts";
import { runRestoreActions } from "../actions/run.ts";
import type { RestoreInfo, RestoreItemAction } from "../actions/types.ts";
import type { RunLog } from "../backup/log.ts";
import type { ResolvedFilters } from "../filters/index.ts";
import { restoreSkipReason } from "../filters/index.ts";
import type { ExtractedArchive } from "../format/extracted-archive.ts";
import type { Cluster } from "../kube/client.ts";
import type { ApiResource, Discovery } from "../kube/discovery.ts";
import { isAlreadyExists, KubeApiError } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import type { createNamespaceEnsurer } from "./namespaces.ts";
import { decidePv, type PvDecision, preparePv } from "./pv.ts";
import { addRestoreLabels, isIdentical, resetMetadata } from "./reset.ts";
import type { PlanAction, PlanEntry } from "./result.ts";
import type { RestoreVolumeSnapshots } from "./volume-snapshots.ts";

export interface ItemRef {
  readonly groupResource: string;
  readonly namespace?: string | undefined;
  readonly name: string;
}

export interface ItemRestorerDeps {
  readonly cluster: Cluster;
  readonly archive: ExtractedArchive;
  readonly filters: ResolvedFilters;
  readonly actions: ActionSet<RestoreItemAction>;
  readonly namespaces: ReturnType<typeof createNamespaceEnsurer>;
  readonly log: RunLog;
  readonly restore: RestoreInfo;
  readonly dryRun: boolean;
  readonly policy: "none" | "update";
  readonly restoreStatus: (groupResource: string) => boolean;
  readonly signal: AbortSignal;
  readonly crdTimeoutMs: number;
  /** PVs with native snapshots (volumes created from them, renames). @default none: PVs restored as is */
  readonly volumes?: RestoreVolumeSnapshots;
  discovery(): Discovery;
  record(entry: PlanEntry, gvk: string | undefined): void;
}

const CRD = "customresourcedefinitions.apiextensions.k8s.io";

const mergeServiceAccount = (live: KubeObject, desired: KubeObject) => {
  const union = (a: unknown, b: unknown) => {
    const out = [...((a as unknown[]) ?? [])];
    for (const v of (b as unknown[]) ?? [])
      if (!out.some((x) => JSON.stringify(x) === JSON.stringify(v))) out.push(v);
    return out;
  };
  return {
    metadata: {
      labels: { ...live.metadata?.labels, ...desired.metadata?.labels },
      annotations: { ...live.metadata?.annotations, ...desired.metadata?.annotations },
    },
    secrets: union(live.secrets, desired.secrets),
    imagePullSecrets: union(live.imagePullSecrets, desired.imagePullSecrets),
  };
};

/** The per-item pipeline of a restore (Velero's `restoreItem`), shared by the dry run and the real run. */
export const createItemRestorer = (deps: ItemRestorerDeps) => {
  const { cluster, archive, filters, log } = deps;
  const done = new Set<string>();
  const pvDecisions = new Map<string, PvDecision>();
  const mapping = deps.restore.namespaceMapping;
  let restored = 0;

  const pvDecision = async (name: string): Promise<PvDecision | undefined> => {
    const ref = { groupResource: "persistentvolumes", name };
    if (!archive.hasItem(ref)) return undefined;
    let decision = pvDecisions.get(name);
    if (!decision) {
      decision = decidePv((await archive.readItem(ref)) as KubeObject, deps.volumes?.facts(name));
      pvDecisions.set(name, decision);
    }
    return decision;
  };

  const resourceFor = (groupResource: string, apiVersion: string | undefined): ApiResource | undefined => {
    const discovery = deps.discovery();
    return (
      discovery.resources.find((r) => r.groupResource === groupResource && r.groupVersion === apiVersion) ??
      discovery.forGroupResource(groupResource)
    );
  };

  const waitForCrd = async (name: string) => {
    const deadline = Date.now() + deps.crdTimeoutMs;
    while (Date.now() < deadline) {
      const crd = await cluster.tryGet(CRD, name, { signal: deps.signal });
      const conditions = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)
        ?.conditions;
      if (conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    log.warn(`CRD ${name} was not Established within ${deps.crdTimeoutMs} ms`, { resource: CRD, name });
  };

  const restoreItem = async (ref: ItemRef, viaAction = false): Promise<void> => {
    const key = `${ref.groupResource}/${ref.namespace ?? ""}/${ref.name}`;
    if (done.has(key)) return;
    done.add(key);
    const sourceNs = ref.namespace;
    const targetNs = sourceNs === undefined ? undefined : (mapping[sourceNs] ?? sourceNs);
    const base = {
      resource: ref.groupResource,
      ...(targetNs === undefined ? {} : { namespace: targetNs }),
      name: ref.name,
      ...(sourceNs !== undefined && sourceNs !== targetNs ? { sourceNamespace: sourceNs } : {}),
    };
    const fields = { resource: ref.groupResource, namespace: targetNs, name: ref.name };
    let gvk: string | undefined;
    const record = (action: PlanAction, reason?: string) => {
      deps.record({ ...base, action, ...(reason === undefined ? {} : { reason }) }, gvk);
      if (action === "create" || action === "update") restored++;
    };

    const decision = filters.resources.includeResource(
      { groupResource: ref.groupResource, namespaced: sourceNs !== undefined },
      { viaAction },
    );
    if (!decision.include) return record("skip", `filtered: ${decision.reason}`);
    // a Namespace object is cluster-scoped, but the namespace filter decides whether it is restored
    if (ref.groupResource === "namespaces" && !filters.namespaces.shouldInclude(ref.name)) {
      return record("skip", "filtered: namespace not included");
    }
    if (sourceNs !== undefined && !filters.namespaces.shouldInclude(sourceNs)) {
      return record("skip", "filtered: namespace not included");
    }
    const item = (await archive.readItem(ref)) as KubeObject;
    gvk = `${item.apiVersion}/${item.kind}`;
    if (!viaAction && !filters.labels.matches(item.metadata?.labels))
      return record("skip", "filtered: labels");
    const skipReason = restoreSkipReason(ref.groupResource, item);
    if (skipReason) return record("skip", skipReason);

    if (ref.groupResource === "namespaces") {
      const target = mapping[ref.name] ?? ref.name;
      const outcome = await deps.namespaces.ensure(target, ref.name);
      deps.record(
        { resource: "namespaces", name: target, action: outcome.action, reason: outcome.reason },
        gvk,
      );
      if (outcome.action === "create") restored++;
      return;
    }
    const resource = resourceFor(ref.groupResource, item.apiVersion);
    if (!resource) {
      log.warn(`resource ${ref.groupResource} is not served by the target cluster; item skipped`, fields);
      return record("skip", "resource not served by the target cluster");
    }

    let source = item;
    let snapshotReason: string | undefined;
    if (ref.groupResource === "persistentvolumes") {
      const pv = await pvDecision(ref.name);
      if (pv && !pv.restore) return record("skip", pv.reason);
      source = preparePv(item, mapping);
      if (pv?.fromSnapshot && deps.volumes) {
        const outcome = await deps.volumes.fromSnapshot(item, source);
        if (!outcome.ok) {
          log.error("error restoring persistent volume from snapshot", { ...fields, error: outcome.error });
          return record("fail", outcome.error);
        }
        source = outcome.pv;
        snapshotReason = outcome.reason;
        ref = { ...ref, name: source.metadata?.name ?? ref.name }; // renamed under namespace mapping
      }
    }
    let object = resetMetadata(source);
    const status = item.status;
    if (targetNs !== undefined) object.metadata = { ...object.metadata, namespace: targetNs };

    const applicable = deps.actions.forItem({
      groupResource: ref.groupResource,
      namespace: targetNs,
      labels: object.metadata?.labels ?? {},
    });
    if (applicable.length > 0) {
      const outcome = await runRestoreActions(applicable, {
        item: object,
        itemFromBackup: item,
        restore: deps.restore,
        log: log.scoped(fields),
        cluster,
        signal: deps.signal,
        groupResource: ref.groupResource,
      });
      for (const additional of outcome.additionalItems) {
        const gr = deps.discovery().find(additional.resource)?.groupResource ?? additional.resource;
        const addRef = { groupResource: gr, namespace: additional.namespace, name: additional.name };
        if (archive.hasItem(addRef)) await restoreItem(addRef, true);
        else
          log.warn(
            `additional item ${gr} ${additional.namespace ?? ""}/${additional.name} is not in the backup`,
            fields,
          );
      }
      if (outcome.errors.length > 0) {
        for (const failure of outcome.errors)
          log.error(`error executing item action ${failure.action}`, { ...fields, error: failure.message });
        return record("fail", outcome.errors.map((e) => e.message).join("; "));
      }
      if (outcome.skip) return record("skip", outcome.skip.reason);
      object = outcome.item;
    }
    if (ref.groupResource === "persistentvolumeclaims") {
      const spec = object.spec as { volumeName?: string } | undefined;
      const pv = spec?.volumeName ? await pvDecision(spec.volumeName) : undefined;
      if (spec && pv && !pv.restore) {
        const { volumeName: _dropped, ...rest } = spec;
        object = { ...object, spec: rest };
      }
      const renamed = spec?.volumeName ? deps.volumes?.renamed(spec.volumeName) : undefined;
      if (spec && renamed) object = { ...object, spec: { ...spec, volumeName: renamed } };
    }
    object = addRestoreLabels(object, deps.restore.backupName, deps.restore.name);

    let unvalidated: string | undefined;
    if (targetNs !== undefined) {
      await deps.namespaces.ensure(targetNs, sourceNs!);
      if (deps.dryRun && deps.namespaces.isPlannedOnly(targetNs)) {
        unvalidated = `namespace ${targetNs} is created by this restore, so the server cannot dry-run this object yet`;
      }
    }
    if (deps.dryRun && unvalidated) return record("create", unvalidated);

    try {
      await cluster.create(resource, object, {
        namespace: targetNs,
        dryRun: deps.dryRun,
        signal: deps.signal,
      });
    } catch (error) {
      const portTaken =
        ref.groupResource === "services" &&
        error instanceof KubeApiError &&
        /provided port is already allocated/.test(error.message);
      if (!isAlreadyExists(error) && !portTaken) {
        if (deps.dryRun && error instanceof KubeApiError && error.status === 404) {
          return record(
            "create",
            "its resource or namespace is created by this restore, so the server cannot dry-run it yet",
          );
        }
        log.error("error restoring item", { ...fields, error: (error as Error).message });
        return record("fail", (error as Error).message);
      }
      const live = await cluster.tryGet(resource, ref.name, { namespace: targetNs, signal: deps.signal });
      if (!live) {
        log.error("error restoring item", { ...fields, error: (error as Error).message });
        return record("fail", (error as Error).message);
      }
      if (isIdentical(live, object, deps.restore.backupName, deps.restore.name)) {
        if (deps.policy === "update") {
          await cluster.patch(
            resource,
            ref.name,
            { metadata: { labels: object.metadata?.labels } },
            { namespace: targetNs, dryRun: deps.dryRun },
          );
        }
        return record("skip", "identical to the backed-up version");
      }
      if (ref.groupResource === "serviceaccounts") {
        await cluster.patch(resource, ref.name, mergeServiceAccount(live, object), {
          namespace: targetNs,
          dryRun: deps.dryRun,
        });
        return record("update", "ServiceAccounts are merged");
      }
      if (deps.policy === "update") {
        try {
          const { metadata, ...rest } = object;
          await cluster.patch(
            resource,
            ref.name,
            { ...rest, metadata: { labels: metadata?.labels, annotations: metadata?.annotations } },
            { namespace: targetNs, dryRun: deps.dryRun },
          );
          return record("update", "exists and differs: merge-patched (existingResourcePolicy update)");
        } catch (patchError) {
          log.warn(`could not update ${item.kind} "${ref.name}": ${(patchError as Error).message}`, fields);
          return record("conflict", `update failed: ${(patchError as Error).message}`);
        }
      }
      log.warn(
        `could not restore, ${item.kind} "${ref.name}" already exists. Warning: the in-cluster version is different than the backed-up version`,
        fields,
      );
      return record("conflict", "exists and differs from the backed-up version");
    }
    if (!deps.dryRun && status !== undefined && deps.restoreStatus(ref.groupResource)) {
      try {
        const current = await cluster.get(resource, ref.name, { namespace: targetNs });
        await cluster.update(
          resource,
          { ...current, status },
          { namespace: targetNs, subresource: "status" },
        );
      } catch (error) {
        log.warn(`could not restore the status: ${(error as Error).message}`, fields);
      }
    }
    if (!deps.dryRun && ref.groupResource === CRD) await waitForCrd(ref.name);
    return record("create", snapshotReason);
  };

  return {
    restoreItem,
    get itemsRestored() {
      return restored;
    },
  };
};
