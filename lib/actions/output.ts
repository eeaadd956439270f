import type { KubeObject } from "../kube/types.ts";
import { isRecord } from "./json.ts";
import type { ResourceIdentifier } from "./types.ts";

/** Velero's annotation a backup action sets on its returned item to drop the item. */
export const SKIP_FROM_BACKUP = "velero.io/skip-from-backup";

/** What the item looked like before the chain: actions may not change it. */
export interface Identity {
  readonly name: string | undefined;
  readonly namespace: string;
  readonly kind: string | undefined;
}

/** A validated action result. */
export interface Checked {
  readonly item: KubeObject | undefined;
  readonly additionalItems: readonly ResourceIdentifier[];
  readonly skip: boolean | string;
}

const OUTPUT_FIELDS = new Set(["item", "additionalItems", "skip"]);

/** The text of whatever an action threw, for an item error message. */
export const errorMessage = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
};

/** Validates an action's return value; returns a problem description when it is unusable. */
export const checkOutput = (output: unknown, identity: Identity, restore: boolean): Checked | string => {
  if (output === undefined) return { item: undefined, additionalItems: [], skip: false };
  if (!isRecord(output)) {
    return `expected undefined or an object { item?, additionalItems?${restore ? ", skip?" : ""} }, received ${output === null ? "null" : Array.isArray(output) ? "an array" : typeof output}`;
  }
  for (const key of Object.keys(output)) {
    if (OUTPUT_FIELDS.has(key) && (restore || key !== "skip")) continue;
    if ("metadata" in output || "apiVersion" in output) {
      return "it returned the object itself: return { item } instead";
    }
    if (key === "skip")
      return `backup actions cannot return skip: annotate the item ${SKIP_FROM_BACKUP} instead`;
    return `unknown field "${key}": expected item, additionalItems${restore ? " or skip" : ""}`;
  }
  const item = output["item"];
  if (item !== undefined) {
    if (!isRecord(item) || !isRecord(item["metadata"]))
      return "item must be a Kubernetes object with metadata";
    const meta = item["metadata"];
    if (typeof meta["name"] !== "string" || meta["name"] === "") return "item.metadata.name is missing";
    if (meta["name"] !== identity.name) {
      return `it renamed the item from "${identity.name}" to "${meta["name"]}": actions may not rename items`;
    }
    const namespace = typeof meta["namespace"] === "string" ? meta["namespace"] : "";
    if (namespace !== identity.namespace) {
      return `it moved the item from namespace "${identity.namespace}" to "${namespace}": actions may not change metadata.namespace`;
    }
    if (identity.kind !== undefined && item["kind"] !== identity.kind) {
      return `it changed kind from ${identity.kind} to ${String(item["kind"])}: actions may not change an item's kind`;
    }
  }
  const rawAdditional = output["additionalItems"];
  const additionalItems: ResourceIdentifier[] = [];
  if (rawAdditional !== undefined) {
    if (!Array.isArray(rawAdditional))
      return "additionalItems must be an array of { resource, namespace?, name }";
    for (const [i, a] of rawAdditional.entries()) {
      if (!isRecord(a) || typeof a["resource"] !== "string" || a["resource"] === "") {
        return `additionalItems[${i}] needs a resource like "persistentvolumes"`;
      }
      if (typeof a["name"] !== "string" || a["name"] === "") return `additionalItems[${i}] needs a name`;
      const ns = a["namespace"];
      if (ns !== undefined && typeof ns !== "string")
        return `additionalItems[${i}].namespace must be a string`;
      additionalItems.push(
        ns === undefined || ns === ""
          ? { resource: a["resource"], name: a["name"] }
          : { resource: a["resource"], namespace: ns, name: a["name"] },
      );
    }
  }
  const skip = output["skip"];
  if (skip !== undefined && typeof skip !== "boolean" && typeof skip !== "string") {
    return "skip must be a boolean or a reason string";
  }
  return { item: item as KubeObject | undefined, additionalItems, skip: skip ?? false };
};
