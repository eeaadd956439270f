/**
 * The namespaced resources a backup of some namespaces LISTs, chosen from public discovery exactly as
 * `lib/filters/collection.ts` does (preferred versions, no subresources, list+create+get+delete, one
 * group per cohabiting resource), so the raw baseline lists the same collections.
 */
import type { ApiResource, Discovery } from "stowage";

const REQUIRED_VERBS = ["list", "create", "get", "delete"];
/** Cohabiting resources: the group Velero lists (the other group's copy is skipped). */
const COHABITANT_WINNERS: Readonly<Record<string, string>> = {
  deployments: "apps",
  daemonsets: "apps",
  replicasets: "apps",
  networkpolicies: "networking.k8s.io",
  events: "",
};

/** Namespaced resources a namespace-scoped backup lists. */
export const listedResources = (discovery: Discovery): ApiResource[] =>
  discovery
    .preferredResources()
    .filter(
      (r) =>
        r.namespaced &&
        !r.resource.includes("/") &&
        REQUIRED_VERBS.every((v) => r.verbs.includes(v)) &&
        (COHABITANT_WINNERS[r.resource] === undefined || COHABITANT_WINNERS[r.resource] === r.group),
    );

/** Resources a restore never creates (Velero's list, namespaced ones) and so neither does the raw create. */
export const NEVER_RESTORED = new Set(["events", "events.events.k8s.io"]);
