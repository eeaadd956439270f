import { isRecord, type KubeObject, type RestoreItemActionInput } from "../lib/actions/index.ts";
import { runMemo } from "./util.ts";

/** Labels that mark a ConfigMap as plugin configuration: Velero's and Stowage's twin. */
export const PLUGIN_CONFIG_LABELS = ["velero.io/plugin-config", "stowage.dev/plugin-config"] as const;

/** Reads a plugin's ConfigMap data; undefined when there is none. */
export type PluginConfigReader = (
  input: RestoreItemActionInput,
  plugin: string,
) => Promise<Readonly<Record<string, string>> | undefined>;

const dataOf = (configMap: KubeObject): Record<string, string> => {
  const data = configMap["data"];
  const out: Record<string, string> = {};
  if (isRecord(data)) for (const [k, v] of Object.entries(data)) if (typeof v === "string") out[k] = v;
  return out;
};

/**
 * Velero's plugin ConfigMap convention (`pkg/plugin/framework/common/plugin_config.go`): in `namespace`,
 * the one ConfigMap labelled `velero.io/plugin-config` (or `stowage.dev/plugin-config`) and
 * `<plugin-name>: RestoreItemAction`. None ⇒ undefined; more than one ⇒ an error naming them.
 * Looked up once per restore and plugin; without a namespace nothing is read.
 */
export const createPluginConfigReader = (namespace: string | undefined): PluginConfigReader => {
  const memo = runMemo<Readonly<Record<string, string>> | undefined>();
  const load = async ({ cluster, signal }: RestoreItemActionInput, plugin: string) => {
    if (namespace === undefined) return undefined;
    const selectors = PLUGIN_CONFIG_LABELS.map((label) => `${label},${plugin}=RestoreItemAction`);
    const lists = await Promise.all(
      selectors.map((labelSelector) => cluster.list("configmaps", { namespace, labelSelector, signal })),
    );
    const found = new Map<string, KubeObject>();
    for (const cm of lists.flat()) found.set(cm.metadata?.uid ?? cm.metadata?.name ?? "", cm);
    if (found.size === 0) return undefined;
    if (found.size > 1) {
      const names = [...found.values()].map((cm) => cm.metadata?.name ?? "?").sort();
      throw new Error(
        `found ${found.size} ConfigMaps configuring ${plugin} in namespace "${namespace}" (${names.join(", ")}), expected at most one (label selector "${selectors[0]}" or "${selectors[1]}"): delete or relabel the extra ones`,
      );
    }
    return dataOf([...found.values()][0]!);
  };
  return (input, plugin) => memo(input.restore, plugin, () => load(input, plugin));
};
