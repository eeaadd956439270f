import { isRecord, type ResourceIdentifier, type RestoreItemAction } from "../../lib/actions/index.ts";
import { child, list, setList, text } from "../util.ts";

const dropMounts = (containers: unknown[], prefix: string) => {
  for (const container of containers) {
    if (!isRecord(container) || !Array.isArray(container["volumeMounts"])) continue;
    const kept = container["volumeMounts"].filter(
      (m) => !(isRecord(m) && text(m, "name")?.startsWith(prefix)),
    );
    setList(container, "volumeMounts", kept);
  }
};

/**
 * `velero.io/pod` (Velero's `pkg/restore/actions/pod_action.go`): clears `spec.nodeName` and
 * `spec.priority`; drops volumes and (init) container mounts named `<serviceAccountName>-token-*`
 * (legacy token volumes the new cluster re-injects); restores the pod's PriorityClass first.
 */
export const podRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/pod",
  appliesTo: { resources: ["pods"] },
  execute({ item, log }) {
    const spec = child(item, "spec");
    if (!spec) return undefined;
    delete spec["nodeName"];
    delete spec["priority"];
    const prefix = `${text(spec, "serviceAccountName") ?? ""}-token-`;
    if (Array.isArray(spec["volumes"])) {
      setList(
        spec,
        "volumes",
        spec["volumes"].filter((v) => !(isRecord(v) && text(v, "name")?.startsWith(prefix))),
      );
    }
    dropMounts(list(spec, "containers"), prefix);
    dropMounts(list(spec, "initContainers"), prefix);
    const priorityClass = text(spec, "priorityClassName");
    const additionalItems: ResourceIdentifier[] = [];
    if (priorityClass) {
      log.info(`Adding priorityclass ${priorityClass} to AdditionalItems`);
      additionalItems.push({ resource: "priorityclasses.scheduling.k8s.io", name: priorityClass });
    }
    return { item, additionalItems };
  },
});
