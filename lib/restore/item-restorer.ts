import type { ActionSet } from "../actions/registry.ts";
import { runRestoreActions } from "../actions/run.ts";
import type { RestoreInfo, RestoreItemAction } from "../actions/types.ts";
import { AbortError, FormatError } from "../errors.ts";
import type { ResolvedFilters } from "../filters/index.ts";
import { restoreSkipReason } from "../filters/index.ts";
import type { ExtractedArchive } from "../format/extracted-archive.ts";
import type { Cluster } from "../kube/client.ts";
import type { ApiResource, Discovery } from "../kube/discovery.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import { applyItem } from "./item-apply.ts";
import { checkIdentity, refusal, scopeProblem } from "./item-checks.ts";
import { restoreItemStatus } from "./item-status.ts";
import type { createNamespaceEnsurer } from "./namespaces.ts";
import { decidePv, type PvDecision, preparePv } from "./pv.ts";
import { addRestoreLabels, resetMetadata } from "./reset.ts";
import type { PlanEntry } from "./result.ts";
import { isVerdict, Verdict } from "./verdict.ts";
import type { RestoreVolumeSnapshots } from "./volume-snapshots.ts";

/** A backed-up item, by group-resource, namespace in the backup (none: cluster-scoped) and name. */
export interface ItemRef {
  readonly groupResource: string;
  readonly namespace?: string | undefined;
  readonly name: string;
}

/** What the item pipeline needs from its restore: the cluster, the archive, filters, actions and sinks. */
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

/** One item on its way through the stages. */
interface ItemContext {
  readonly ref: ItemRef;
  /** Its namespace in the backup; undefined for cluster-scoped items. */
  readonly sourceNs: string | undefined;
  /** Its namespace in the cluster, after mapping. */
  readonly targetNs: string | undefined;
  /** Log fields naming the item. */
  readonly fields: { resource: string; namespace: string | undefined; name: string };
  /** `<apiVersion>/<Kind>` once the item is read: its resource list entry. */
  gvk?: string;
  /** Whether an action asked for it (filters other than the resource filter do not apply). */
  readonly viaAction: boolean;
}

/** The item after the prepare stage: what the actions get. */
interface PreparedItem {
  /** Its name in the cluster (a PV restored from a snapshot may be renamed). */
  readonly name: string;
  readonly object: KubeObject;
  /** Why, when a PV's volume was created from its snapshot. */
  readonly snapshotReason: string | undefined;
}

/**
 * The per-item pipeline of a restore (Velero's `restoreItem`), shared by the dry run and the real run:
 * admit → prepare → actions → apply → status, each stage ending the item with a {@link Verdict} or
 * handing it on.
 */
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

  /** A refused or failed item: an error against its namespace, the item ended. */
  const failed = (ctx: ItemContext, message: string): Verdict => {
    log.error("error restoring item", { ...ctx.fields, error: message });
    return new Verdict("fail", message);
  };

  /**
   * admit: the scope from the target cluster's discovery (the archive's directory must agree), the
   * filters, the never-restored rules; the backed-up item — an object named as its path names it — when
   * it is to be restored.
   */
  const admit = async (ctx: ItemContext): Promise<Verdict | KubeObject> => {
    const { ref, sourceNs } = ctx;
    const scope = scopeProblem(ref, deps.discovery().forGroupResource(ref.groupResource));
    if (scope !== undefined) return failed(ctx, scope);
    const decision = filters.resources.includeResource(
      { groupResource: ref.groupResource, namespaced: sourceNs !== undefined },
      { viaAction: ctx.viaAction },
    );
    if (!decision.include) return new Verdict("skip", `filtered: ${decision.reason}`);
    // a Namespace object is cluster-scoped, but the namespace filter decides whether it is restored
    if (ref.groupResource === "namespaces" && !filters.namespaces.shouldInclude(ref.name)) {
      return new Verdict("skip", "filtered: namespace not included");
    }
    if (sourceNs !== undefined && !filters.namespaces.shouldInclude(sourceNs)) {
      return new Verdict("skip", "filtered: namespace not included");
    }
    let parsed: unknown;
    try {
      parsed = await archive.readItem(ref);
    } catch (error) {
      if (!(error instanceof FormatError)) throw error;
      return failed(ctx, refusal(ref, error.message));
    }
    const item = checkIdentity(ref, parsed);
    if (typeof item === "string") return failed(ctx, item);
    ctx.gvk = `${item.apiVersion}/${item.kind}`;
    if (!ctx.viaAction && !filters.labels.matches(item.metadata?.labels))
      return new Verdict("skip", "filtered: labels");
    const skipReason = restoreSkipReason(ref.groupResource, item);
    if (skipReason) return new Verdict("skip", skipReason);
    return item;
  };

  /** admit, for a Namespace object: created (under its mapped name) as the namespace ensurer does. */
  const restoreNamespace = async (ctx: ItemContext): Promise<Verdict> => {
    const target = mapping[ctx.ref.name] ?? ctx.ref.name;
    const outcome = await deps.namespaces.ensure(target, ctx.ref.name);
    return new Verdict(outcome.action, outcome.reason, target);
  };

  /** admit: the API resource serving the item in the target cluster, preferring its own version. */
  const servedResource = (ctx: ItemContext, item: KubeObject): Verdict | ApiResource => {
    const discovery = deps.discovery();
    const { groupResource } = ctx.ref;
    const resource =
      discovery.resources.find(
        (r) => r.groupResource === groupResource && r.groupVersion === item.apiVersion,
      ) ?? discovery.forGroupResource(groupResource);
    if (resource) return resource;
    log.warn(`resource ${groupResource} is not served by the target cluster; item skipped`, ctx.fields);
    return new Verdict("skip", "resource not served by the target cluster");
  };

  /**
   * prepare: a PV's restore decision (and its volume from a snapshot), then the metadata reset to what
   * is restored and the namespace mapped.
   */
  const prepare = async (ctx: ItemContext, item: KubeObject): Promise<Verdict | PreparedItem> => {
    const { ref } = ctx;
    let source = item;
    let name = ref.name;
    let snapshotReason: string | undefined;
    if (ref.groupResource === "persistentvolumes") {
      const pv = await pvDecision(ref.name);
      if (pv && !pv.restore) return new Verdict("skip", pv.reason);
      source = preparePv(item, mapping);
      if (pv?.fromSnapshot && deps.volumes) {
        const outcome = await deps.volumes.fromSnapshot(item, source);
        if (!outcome.ok) {
          log.error("error restoring persistent volume from snapshot", {
            ...ctx.fields,
            error: outcome.error,
          });
          return new Verdict("fail", outcome.error);
        }
        source = outcome.pv;
        snapshotReason = outcome.reason;
        name = source.metadata?.name ?? ref.name; // renamed under namespace mapping
      }
    }
    const object = resetMetadata(source);
    if (ctx.targetNs !== undefined) object.metadata = { ...object.metadata, namespace: ctx.targetNs };
    return { name, object, snapshotReason };
  };

  /**
   * actions: the restore item actions that apply, their additional items restored first; the item as
   * they left it, or how they ended it (an error fails it, a skip skips it).
   */
  const runActions = async (
    ctx: ItemContext,
    item: KubeObject,
    object: KubeObject,
  ): Promise<Verdict | KubeObject> => {
    const { ref, fields } = ctx;
    const applicable = deps.actions.forItem({
      groupResource: ref.groupResource,
      namespace: ctx.targetNs,
      labels: object.metadata?.labels ?? {},
    });
    if (applicable.length === 0) return object;
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
      return new Verdict("fail", outcome.errors.map((e) => e.message).join("; "));
    }
    if (outcome.skip) return new Verdict("skip", outcome.skip.reason);
    return outcome.item;
  };

  /**
   * prepare, after the actions: a PVC loses its binding to a PV that is not restored, or follows its
   * renamed PV; every item gets the restore labels.
   */
  const finalObject = async (ctx: ItemContext, object: KubeObject): Promise<KubeObject> => {
    if (ctx.ref.groupResource === "persistentvolumeclaims") {
      const spec = object.spec as { volumeName?: string } | undefined;
      const pv = spec?.volumeName ? await pvDecision(spec.volumeName) : undefined;
      if (spec && pv && !pv.restore) {
        const { volumeName: _dropped, ...rest } = spec;
        object = { ...object, spec: rest };
      }
      const renamed = spec?.volumeName ? deps.volumes?.renamed(spec.volumeName) : undefined;
      if (spec && renamed) object = { ...object, spec: { ...spec, volumeName: renamed } };
    }
    return addRestoreLabels(object, deps.restore.backupName, deps.restore.name);
  };

  /** The stages, in order, for one item; how it ended. */
  const stages = async (ctx: ItemContext): Promise<Verdict> => {
    const item = await admit(ctx);
    if (isVerdict(item)) return item;
    if (ctx.ref.groupResource === "namespaces") return restoreNamespace(ctx);
    const resource = servedResource(ctx, item);
    if (isVerdict(resource)) return resource;
    const prepared = await prepare(ctx, item);
    if (isVerdict(prepared)) return prepared;
    const acted = await runActions(ctx, item, prepared.object);
    if (isVerdict(acted)) return acted;
    const target = { ...ctx, resource, groupResource: ctx.ref.groupResource, name: prepared.name };
    const applied = await applyItem(deps, { ...target, kind: item.kind }, await finalObject(ctx, acted));
    if (applied) return applied;
    await restoreItemStatus(deps, { ...target, status: item.status });
    return new Verdict("create", prepared.snapshotReason);
  };

  /** Restores one backed-up item (once per restore, however often it is asked for) and records it. */
  const restoreItem = async (ref: ItemRef, viaAction = false): Promise<void> => {
    const key = `${ref.groupResource}/${ref.namespace ?? ""}/${ref.name}`;
    if (done.has(key)) return;
    done.add(key);
    const sourceNs = ref.namespace;
    const targetNs = sourceNs === undefined ? undefined : (mapping[sourceNs] ?? sourceNs);
    const ctx: ItemContext = {
      ref,
      sourceNs,
      targetNs,
      fields: { resource: ref.groupResource, namespace: targetNs, name: ref.name },
      viaAction,
    };
    if (deps.signal.aborted) throw new AbortError("the restore was aborted", { cause: deps.signal.reason });
    let verdict: Verdict;
    try {
      verdict = await stages(ctx);
    } catch (error) {
      // an abort ends the whole restore; anything else ends this item only
      if (deps.signal.aborted) {
        throw error instanceof AbortError
          ? error
          : new AbortError("the restore was aborted", { cause: deps.signal.reason ?? error });
      }
      verdict = failed(ctx, error instanceof Error ? error.message : String(error));
    }
    deps.record(
      {
        resource: ref.groupResource,
        ...(targetNs === undefined ? {} : { namespace: targetNs }),
        name: verdict.name ?? ref.name,
        ...(sourceNs !== undefined && sourceNs !== targetNs ? { sourceNamespace: sourceNs } : {}),
        action: verdict.action,
        ...(verdict.reason === undefined ? {} : { reason: verdict.reason }),
      },
      ctx.gvk,
    );
    if (verdict.action === "create" || verdict.action === "update") restored++;
  };

  return {
    restoreItem,
    get itemsRestored() {
      return restored;
    },
  };
};
