import { isRecord, type RestoreItemAction } from "../../lib/actions/index.ts";
import { at, child, list, text } from "../util.ts";

/**
 * `velero.io/crd-preserve-fields` (Velero's `crd_v1_preserve_unknown_fields_action.go`): a v1 CRD with
 * `spec.preserveUnknownFields: true` (which v1 rejects) gets it removed and
 * `x-kubernetes-preserve-unknown-fields: true` set on each version's `schema.openAPIV3Schema`.
 */
export const crdPreserveFieldsRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/crd-preserve-fields",
  appliesTo: { resources: ["customresourcedefinitions.apiextensions.k8s.io"] },
  execute({ item, log }) {
    const spec = child(item, "spec");
    if (item.apiVersion !== "apiextensions.k8s.io/v1" || !spec || spec["preserveUnknownFields"] !== true) {
      return undefined;
    }
    delete spec["preserveUnknownFields"];
    for (const version of list(spec, "versions")) {
      const schema = at(version, "schema", "openAPIV3Schema");
      if (!schema) continue;
      schema["x-kubernetes-preserve-unknown-fields"] = true;
      log.info(
        `Set x-preserve-unknown-fields in Open API for schema version ${isRecord(version) ? text(version, "name") : ""}`,
      );
    }
    return { item };
  },
});
