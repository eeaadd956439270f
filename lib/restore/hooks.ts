/**
 * The restore's side of its hooks (lib/hooks/restore-hooks.ts): the item action through which they see
 * each pod before it is created. It runs after every other action, so hooks come from the pod as it is
 * created, as Velero reads them from the created pod.
 */
import type { RestoreItemAction } from "../actions/types.ts";
import type { RestoreHookRun } from "../hooks/restore-hooks.ts";

/** Velero's `velero.io/init-restore-hook` action: init-container hooks added, exec hooks noted. */
export const restoreHookAction = (hooks: RestoreHookRun): RestoreItemAction => ({
  name: "velero.io/init-restore-hook",
  appliesTo: { resources: ["pods"] },
  execute({ item, log }) {
    const pod = hooks.preparePod(item, log);
    return pod ? { item: pod } : undefined;
  },
});
