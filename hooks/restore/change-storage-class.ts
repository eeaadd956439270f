import { isRecord, type RestoreItemAction, type RestoreItemActionInput } from "../../lib/actions/index.ts";
import type { PluginConfigReader } from "../plugin-config.ts";
import { child, list, runMemo, text } from "../util.ts";

export const CHANGE_STORAGE_CLASS = "velero.io/change-storage-class";

export interface ChangeStorageClassOptions {
  /** Reads the plugin ConfigMap (`<old-class>: <new-class>`). */
  readonly readConfig: PluginConfigReader;
  /** A mapping given in code; when set, no ConfigMap is read. @default read from the ConfigMap */
  readonly mapping?: Readonly<Record<string, string>> | undefined;
}

/**
 * `velero.io/change-storage-class` (Velero's `change_storageclass_action.go`): rewrites
 * `spec.storageClassName` of PersistentVolumeClaims and PersistentVolumes, and of each
 * `spec.volumeClaimTemplates[]` of StatefulSets, through a mapping `<old-class>: <new-class>` from the
 * plugin ConfigMap (or `mapping`). The new class must exist in the cluster, else the item fails.
 */
export const changeStorageClassRestoreAction = (options: ChangeStorageClassOptions): RestoreItemAction => {
  const memo = runMemo<void>();
  const ensureExists = (input: RestoreItemActionInput, name: string): Promise<void> =>
    memo(input.restore, name, () =>
      input.cluster.get("storageclasses.storage.k8s.io", name, { signal: input.signal }).then(
        () => undefined,
        (error: unknown) => {
          throw new Error(
            `error getting storage class ${name} from API: ${(error as Error).message}; create it, or fix the ${CHANGE_STORAGE_CLASS} mapping`,
          );
        },
      ),
    );

  return {
    name: CHANGE_STORAGE_CLASS,
    appliesTo: {
      resources: ["persistentvolumeclaims", "persistentvolumes", "statefulsets.apps"],
    },
    async execute(input) {
      const mapping = options.mapping ?? (await options.readConfig(input, CHANGE_STORAGE_CLASS));
      if (!mapping || Object.keys(mapping).length === 0) return undefined;
      const { item, log } = input;
      const swap = async (spec: Record<string, unknown> | undefined) => {
        const current = text(spec, "storageClassName");
        if (!spec || !current || !Object.hasOwn(mapping, current)) return;
        const next = mapping[current]!;
        await ensureExists(input, next);
        log.info(`Updating item's storage class name to ${next}`);
        spec["storageClassName"] = next;
      };
      if (item.kind === "StatefulSet") {
        for (const template of list(child(item, "spec"), "volumeClaimTemplates")) {
          if (isRecord(template)) await swap(child(template, "spec"));
        }
      } else {
        await swap(child(item, "spec"));
      }
      return { item };
    },
  };
};
