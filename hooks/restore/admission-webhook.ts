import { isRecord, type RestoreItemAction } from "../../lib/actions/index.ts";

const VALID = new Set(["None", "NoneOnDryRun"]);

/**
 * `velero.io/admission-webhook-configuration` (Velero's `admissionwebhook_config_action.go`): for
 * `admissionregistration.k8s.io/v1` webhook configurations, every `webhooks[].sideEffects` that v1 does
 * not accept (`Unknown`, `Some`, unset) is reset to `None`.
 */
export const admissionWebhookRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/admission-webhook-configuration",
  appliesTo: {
    resources: [
      "mutatingwebhookconfigurations.admissionregistration.k8s.io",
      "validatingwebhookconfigurations.admissionregistration.k8s.io",
    ],
  },
  execute({ item, log }) {
    const webhooks = item["webhooks"];
    if (item.apiVersion !== "admissionregistration.k8s.io/v1" || !Array.isArray(webhooks)) return undefined;
    item["webhooks"] = webhooks.filter((webhook, index) => {
      if (!isRecord(webhook)) {
        log.error(`webhooks[${index}] is not an object; it is dropped`);
        return false;
      }
      if (!VALID.has(String(webhook["sideEffects"] ?? ""))) {
        log.info(`reset the invalid sideEffects value '${String(webhook["sideEffects"] ?? "")}' to 'None'`);
        webhook["sideEffects"] = "None";
      }
      return true;
    });
    return { item };
  },
});
