import type { RestoreItemAction } from "../../lib/actions/index.ts";
import { at, child, deleteFromMap } from "../util.ts";

const CONTROLLER_UID_LABELS = ["batch.kubernetes.io/controller-uid", "controller-uid"];

/**
 * `velero.io/job` (Velero's `pkg/restore/actions/job_action.go`): removes the `controller-uid` and
 * `batch.kubernetes.io/controller-uid` labels from `spec.selector.matchLabels` and
 * `spec.template.metadata.labels`, so the new cluster's job controller can set its own.
 */
export const jobRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/job",
  appliesTo: { resources: ["jobs.batch"] },
  execute({ item }) {
    const spec = child(item, "spec");
    deleteFromMap(child(spec, "selector"), "matchLabels", CONTROLLER_UID_LABELS);
    deleteFromMap(at(spec, "template", "metadata"), "labels", CONTROLLER_UID_LABELS);
    return { item };
  },
});
