import type { RestoreItemAction } from "../../lib/actions/index.ts";

/**
 * `velero.io/apiservice` (Velero's `apiservice_action.go`): APIServices labelled
 * `kube-aggregator.kubernetes.io/automanaged` are created by the apiserver itself; they are skipped.
 */
export const apiServiceRestoreAction = (): RestoreItemAction => ({
  name: "velero.io/apiservice",
  appliesTo: {
    resources: ["apiservices.apiregistration.k8s.io"],
    labelSelector: "kube-aggregator.kubernetes.io/automanaged",
  },
  execute: () => ({ skip: "APIService is managed by Kubernetes" }),
});
