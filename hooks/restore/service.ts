import { isRecord, type KubeObject, type RestoreItemAction } from "../../lib/actions/index.ts";
import { at, child, list, text } from "../util.ts";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

const lastApplied = (item: KubeObject): unknown => {
  const annotations = item.metadata?.annotations;
  if (!annotations || !Object.hasOwn(annotations, LAST_APPLIED)) return undefined;
  try {
    return JSON.parse(annotations[LAST_APPLIED] ?? "") as unknown;
  } catch (error) {
    throw new Error(
      `annotation ${LAST_APPLIED} is not valid JSON (${(error as Error).message}): fix or remove it on the backed-up Service, or restore with preserveNodePorts`,
    );
  }
};

const nodePortNumber = (value: unknown): number => {
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "string") {
    if (!/^[+-]?\d+$/.test(value))
      throw new Error(`${LAST_APPLIED} has nodePort "${value}": expected a number`);
    return Number.parseInt(value, 10);
  }
  return 0;
};

const managedFieldsOf = (item: KubeObject): unknown[] => item.metadata?.managedFields ?? [];

/** Zeroes (removes) every nodePort the user did not set explicitly. */
const deleteNodePorts = (item: KubeObject, spec: Record<string, unknown>): void => {
  if (spec["type"] === "ExternalName") return;
  const ports = list(spec, "ports").filter(isRecord);
  const applied = lastApplied(item);
  if (applied !== undefined) {
    // explicit = a positive nodePort in the last-applied configuration: by port name, or by value if unnamed
    const names = new Set<string>();
    const unnamed = new Set<number>();
    for (const port of list(at(applied, "spec"), "ports")) {
      if (!isRecord(port) || !Object.hasOwn(port, "nodePort")) continue;
      const nodePort = nodePortNumber(port["nodePort"]);
      if (nodePort <= 0) continue;
      if (Object.hasOwn(port, "name")) names.add(String(port["name"]));
      else unnamed.add(nodePort);
    }
    for (const port of ports) {
      const name = text(port, "name") ?? "";
      const nodePort = typeof port["nodePort"] === "number" ? port["nodePort"] : 0;
      if (name !== "" ? !names.has(name) : !unnamed.has(nodePort)) delete port["nodePort"];
    }
    return;
  }
  // server-side apply: explicit = `f:nodePort` under the port's key in some managedFields entry
  const explicit = new Set<string>();
  for (const entry of managedFieldsOf(item)) {
    const fields = at(entry, "fieldsV1", "f:spec", "f:ports");
    if (!fields) continue;
    for (const [key, value] of Object.entries(fields)) {
      if (isRecord(value) && Object.hasOwn(value, "f:nodePort")) explicit.add(key);
    }
  }
  for (const port of ports) {
    const key = `k:{"port":${typeof port["port"] === "number" ? port["port"] : 0},"protocol":"${text(port, "protocol") ?? ""}"}`;
    if (!explicit.has(key)) delete port["nodePort"];
  }
};

/** Removes an auto-assigned healthCheckNodePort of a LoadBalancer Service with externalTrafficPolicy Local. */
const deleteHealthCheckNodePort = (item: KubeObject, spec: Record<string, unknown>): void => {
  if (spec["externalTrafficPolicy"] !== "Local" || spec["type"] !== "LoadBalancer") return;
  if (!spec["healthCheckNodePort"]) return;
  const applied = at(lastApplied(item), "spec")?.["healthCheckNodePort"];
  if (typeof applied === "number" && applied !== 0) return;
  for (const entry of managedFieldsOf(item)) {
    if (at(entry, "fieldsV1", "f:spec", "f:healthCheckNodePort")) return;
  }
  delete spec["healthCheckNodePort"];
};

/**
 * `velero.io/service` (Velero's `pkg/restore/actions/service_action.go`):
 * - unless `spec.clusterIP` is `None` (headless), clears `clusterIP` and `clusterIPs` so the new cluster
 *   allocates them;
 * - unless the restore sets `preserveNodePorts: true`, removes every `nodePort` the user did not set
 *   explicitly — explicit means present in `kubectl.kubernetes.io/last-applied-configuration` (matched by
 *   port name, or by value for unnamed ports) or, without that annotation, an `f:nodePort` under
 *   `k:{"port":N,"protocol":"P"}` in managedFields (server-side apply); ExternalName Services keep theirs;
 * - likewise removes `healthCheckNodePort` of a LoadBalancer with `externalTrafficPolicy: Local` unless explicit.
 */
export const serviceRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/service",
  appliesTo: { resources: ["services"] },
  execute({ item, restore, log }) {
    const spec = child(item, "spec");
    if (!spec) return undefined;
    if (spec["clusterIP"] !== "None") {
      delete spec["clusterIP"];
      delete spec["clusterIPs"];
    }
    if (restore.spec["preserveNodePorts"] === true) {
      log.info("Restoring Services with original NodePort(s)");
    } else {
      deleteNodePorts(item, spec);
      deleteHealthCheckNodePort(item, spec);
    }
    return { item };
  },
});
