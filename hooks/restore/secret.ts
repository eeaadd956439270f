import type { RestoreItemAction } from "../../lib/actions/index.ts";
import { deleteFromMap } from "../util.ts";

/**
 * `velero.io/secret` (Velero's `pkg/restore/actions/secret_action.go`), for Secrets of type
 * `kubernetes.io/service-account-token` only:
 * - named `<sa>-token-*` for a ServiceAccount that exists in the target namespace: skipped (the token
 *   controller makes a new one);
 * - otherwise restored without annotation `kubernetes.io/service-account.uid` and data keys `token` and
 *   `ca.crt`, which the token controller fills in for the new account.
 *
 * Velero lists the accounts of the item's namespace before it is mapped; this lists the target
 * namespace, where the accounts were restored.
 */
export const secretRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/secret",
  appliesTo: { resources: ["secrets"] },
  async execute({ item, cluster, signal, log }) {
    if (item["type"] !== "kubernetes.io/service-account-token") return undefined;
    const name = item.metadata?.name ?? "";
    const namespace = item.metadata?.namespace;
    const accounts = await cluster.list("serviceaccounts", { namespace, signal });
    const owner = accounts.find((sa) => name.startsWith(`${sa.metadata?.name ?? ""}-token-`));
    if (owner) {
      log.info(`auto-created token secret of serviceaccount ${owner.metadata?.name}: not restored`);
      return { skip: `auto-created token of serviceaccount ${namespace}/${owner.metadata?.name}` };
    }
    deleteFromMap(item.metadata, "annotations", ["kubernetes.io/service-account.uid"]);
    deleteFromMap(item, "data", ["token", "ca.crt"]);
    return { item };
  },
});
