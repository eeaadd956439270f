import { isRecord, type KubeObject, type RestoreItemAction } from "../../lib/actions/index.ts";
import type { PluginConfigReader } from "../plugin-config.ts";
import { at, list, text } from "../util.ts";

export const CHANGE_IMAGE_NAME = "velero.io/change-image-name";

export interface ChangeImageNameOptions {
  readonly readConfig: PluginConfigReader;
  /**
   * Replacements given in code, `<old part>: <new part>`; when set, no ConfigMap is read.
   * @default read from the ConfigMap, whose values are `"<old part>,<new part>"`
   */
  readonly mapping?: Readonly<Record<string, string>> | undefined;
}

type Rule = readonly [from: string, to: string];

/** ConfigMap rows `"<old>,<new>"` (keys are free-form), in key order so the first match is stable. */
const rulesFromConfig = (data: Readonly<Record<string, string>>): Rule[] =>
  Object.keys(data)
    .sort()
    .flatMap((key): Rule[] => {
      const row = data[key]!;
      const comma = row.indexOf(",");
      if (comma < 0 || comma === row.length - 1) return [];
      const from = row.slice(0, comma).trim();
      return from === "" ? [] : [[from, row.slice(comma + 1).trim()]];
    });

const replaceImages = (containers: unknown[], rules: readonly Rule[], log: (m: string) => void) => {
  for (const container of containers) {
    const image = isRecord(container) ? text(container, "image") : undefined;
    if (!image || !isRecord(container)) continue;
    const rule = rules.find(([from]) => image.includes(from));
    if (!rule) continue;
    const next = image.replaceAll(rule[0], rule[1]);
    log(`Updating item's image from ${image} to ${next}`);
    container["image"] = next;
  }
};

const podSpecOf = (item: KubeObject) => {
  if (item.kind === "Pod") return at(item, "spec");
  if (item.kind === "CronJob") return at(item, "spec", "jobTemplate", "spec", "template", "spec");
  return at(item, "spec", "template", "spec");
};

/**
 * `velero.io/change-image-name` (Velero's `change_image_name_action.go`): in the (init) containers of
 * pods and workload templates, replaces a part of the image name — the first rule whose old part occurs
 * in the image, every occurrence. Images no rule matches are left alone.
 */
export const changeImageNameRestoreAction = (options: ChangeImageNameOptions): RestoreItemAction => ({
  name: CHANGE_IMAGE_NAME,
  appliesTo: {
    resources: [
      "deployments.apps",
      "statefulsets.apps",
      "daemonsets.apps",
      "replicasets.apps",
      "replicationcontrollers",
      "jobs.batch",
      "cronjobs.batch",
      "pods",
    ],
  },
  async execute(input) {
    let rules: Rule[];
    if (options.mapping) rules = Object.entries(options.mapping).filter(([from]) => from !== "");
    else {
      const data = await options.readConfig(input, CHANGE_IMAGE_NAME);
      rules = data ? rulesFromConfig(data) : [];
    }
    if (rules.length === 0) return undefined;
    const spec = podSpecOf(input.item);
    const log = (m: string) => input.log.info(m);
    replaceImages(list(spec, "containers"), rules, log);
    replaceImages(list(spec, "initContainers"), rules, log);
    return { item: input.item };
  },
});
