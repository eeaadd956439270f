import { isRecord, type RestoreItemAction } from "../../lib/actions/index.ts";
import { setList, text } from "../util.ts";

/**
 * `velero.io/service-account` (Velero's `pkg/restore/actions/service_account_action.go`): removes the
 * legacy auto-created token secret (`<name>-token-*`) from `secrets` — the last such entry, as Velero
 * scans from the end and stops at the first match.
 */
export const serviceAccountRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/service-account",
  appliesTo: { resources: ["serviceaccounts"] },
  execute({ item }) {
    const secrets = item["secrets"];
    if (!Array.isArray(secrets)) return undefined;
    const prefix = `${item.metadata?.name ?? ""}-token-`;
    for (let i = secrets.length - 1; i >= 0; i--) {
      const secret: unknown = secrets[i];
      if (isRecord(secret) && text(secret, "name")?.startsWith(prefix)) {
        setList(item, "secrets", [...secrets.slice(0, i), ...secrets.slice(i + 1)]);
        break;
      }
    }
    return { item };
  },
});
