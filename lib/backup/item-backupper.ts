import type { ActionSet } from "../actions/registry.ts";
import { runBackupActions } from "../actions/run.ts";
import type { BackupInfo, BackupItemAction, ResourceIdentifier } from "../actions/types.ts";
import type { ArchiveWriter } from "../format/writer.ts";
import type { BackupHookRunner } from "../hooks/backup.ts";
import type { Cluster } from "../kube/client.ts";
import type { ApiResource } from "../kube/discovery.ts";
import { isNotFound } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";
import type { RunLog } from "../log/run-log.ts";
import type { CollectionPlan } from "./plan.ts";

const EXCLUDE_LABELS = ["velero.io/exclude-from-backup", "stowage.dev/exclude-from-backup"];

/** Per-run state of the item pipeline: dedup, the resource list, counts. */
export interface ItemBackupper {
  backupItem(resource: ApiResource, item: KubeObject, viaAction: boolean): Promise<void>;
  /** `<group/version>/<Kind>` → sorted `ns/name` list (the `-resource-list.json.gz` content). */
  resourceList(): Record<string, string[]>;
  /** Group-resources of which at least one item was written. */
  readonly backedUpResources: ReadonlySet<string>;
  /** Namespaces with at least one written item. */
  readonly namespacesSeen: ReadonlySet<string>;
  readonly itemsBackedUp: number;
}

export const createItemBackupper = (deps: {
  cluster: Cluster;
  plan: CollectionPlan;
  writer: ArchiveWriter;
  actions: ActionSet<BackupItemAction>;
  log: RunLog;
  backup: BackupInfo;
  signal: AbortSignal;
  onItem: () => void;
  /** Snapshots a PV before it is written; `false` means "do not write it" (its snapshot failed). */
  snapshotPv?: (pv: KubeObject) => Promise<boolean>;
  /**
   * Sees each pod to back up before its actions run (pod volume selection, before its PVCs and PVs);
   * the promise settles when the pod's volume backups have.
   */
  onPod?: (pod: KubeObject) => Promise<void>;
  /** Pod hooks: pre hooks before the pod's items and volumes, post hooks once they are done. */
  hooks?: BackupHookRunner;
}): ItemBackupper => {
  const { cluster, plan, writer, actions, log } = deps;
  const seen = new Set<string>();
  const listed = new Map<string, string[]>();
  const backedUpResources = new Set<string>();
  const namespacesSeen = new Set<string>();
  let itemsBackedUp = 0;

  const fetchAdditional = async (id: ResourceIdentifier, parent: string, mustInclude: boolean) => {
    const resource = plan.discovery.find(id.resource);
    if (!resource) {
      log.warn(
        `additional item of ${parent} skipped: resource "${id.resource}" is not served by this cluster`,
        {
          name: id.name,
          namespace: id.namespace,
        },
      );
      return;
    }
    const key = `${resource.groupResource}/${id.namespace ?? ""}/${id.name}`;
    if (seen.has(key)) return;
    try {
      const object = await cluster.get(resource, id.name, { namespace: id.namespace, signal: deps.signal });
      await backupItem(
        resource,
        { apiVersion: resource.groupVersion, kind: resource.kind, ...object },
        true,
        mustInclude,
      );
    } catch (error) {
      if (isNotFound(error)) {
        log.warn(`additional item not found in the cluster`, {
          resource: resource.groupResource,
          namespace: id.namespace,
          name: id.name,
        });
        return;
      }
      throw error;
    }
  };

  const backupItem = async (
    resource: ApiResource,
    item: KubeObject,
    viaAction: boolean,
    mustInclude = false,
  ): Promise<void> => {
    const meta = item.metadata ?? {};
    const name = meta.name ?? "";
    const namespace = resource.namespaced ? meta.namespace : undefined;
    const fields = { resource: resource.groupResource, namespace, name };
    if (meta.deletionTimestamp) {
      log.info("skipping item: it is being deleted", fields);
      return;
    }
    const labels = meta.labels ?? {};
    if (EXCLUDE_LABELS.some((l) => labels[l] === "true")) {
      log.info("skipping item: it has the exclude-from-backup label", fields);
      return;
    }
    if (!mustInclude && (!plan.includesNamespace(namespace) || !plan.includesResource(resource, viaAction))) {
      log.info("skipping item: excluded by the backup's filters", fields);
      return;
    }
    const key = `${resource.groupResource}/${namespace ?? ""}/${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (resource.groupResource !== "pods") return writeSelected(resource, item, fields, namespace, name);
    // a pod: pre hooks first (a failed Fail hook keeps it out: Velero counts it as backed up), then its
    // volumes and items; post hooks once those are done, whether they worked or not
    if (deps.hooks) {
      let allowed: boolean;
      try {
        allowed = await deps.hooks.pre(item);
      } catch (error) {
        // the run was cancelled during a pre hook: its post hooks still undo what the pre hooks did
        deps.hooks.post(item, Promise.resolve());
        throw error;
      }
      if (!allowed) return;
    }
    let volumes: Promise<void> = Promise.resolve();
    try {
      volumes = deps.onPod?.(item) ?? volumes;
      await writeSelected(resource, item, fields, namespace, name);
    } finally {
      deps.hooks?.post(item, volumes);
    }
  };

  /** Runs the item's actions and writes it (with its additional items first). */
  const writeSelected = async (
    resource: ApiResource,
    item: KubeObject,
    fields: { resource: string; namespace: string | undefined; name: string },
    namespace: string | undefined,
    name: string,
  ): Promise<void> => {
    const labels = item.metadata?.labels ?? {};

    let object = item;
    const applicable = actions.forItem({ groupResource: resource.groupResource, namespace, labels });
    if (applicable.length > 0) {
      const outcome = await runBackupActions(applicable, {
        item,
        backup: deps.backup,
        log: log.scoped(fields),
        cluster,
        signal: deps.signal,
        groupResource: resource.groupResource,
        copyItem: false, // the item is written from the chain's result or not at all
      });
      // additional items are backed up before the item that returned them, as Velero does (also those
      // of actions that ran before a failure: Velero has backed them up by then)
      for (const additional of outcome.additionalItems) {
        await fetchAdditional(
          additional,
          `${resource.groupResource} ${namespace ? `${namespace}/` : ""}${name}`,
          additional.mustInclude,
        );
      }
      if (outcome.errors.length > 0) {
        // Velero does not write an item whose action failed; the error makes the backup PartiallyFailed
        for (const failure of outcome.errors) {
          log.error(`error executing item action ${failure.action}`, { ...fields, error: failure.message });
        }
        return;
      }
      if (outcome.skip) {
        log.info(`skipping item: ${outcome.skip.reason}`, fields);
        return;
      }
      object = outcome.item;
    }
    if (
      resource.groupResource === "persistentvolumes" &&
      deps.snapshotPv &&
      !(await deps.snapshotPv(object))
    ) {
      return;
    }
    await writer.writeItem({
      resource: resource.resource,
      group: resource.group,
      version: resource.version,
      preferredVersion: resource.version,
      ...(namespace ? { namespace } : {}),
      name,
      object,
    });
    itemsBackedUp++;
    backedUpResources.add(resource.groupResource);
    if (namespace) namespacesSeen.add(namespace);
    const gvk = `${resource.groupVersion}/${resource.kind}`;
    const names = listed.get(gvk) ?? [];
    listed.set(gvk, names);
    names.push(namespace ? `${namespace}/${name}` : name);
    deps.onItem();
  };

  return {
    backupItem,
    resourceList: () =>
      Object.fromEntries(
        [...listed.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => [k, [...v].sort()]),
      ),
    backedUpResources,
    namespacesSeen,
    get itemsBackedUp() {
      return itemsBackedUp;
    },
  };
};
