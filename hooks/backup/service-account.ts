import {
  type BackupItemAction,
  type BackupItemActionInput,
  isRecord,
  type KubeObject,
  type ResourceIdentifier,
} from "../../lib/actions/index.ts";
import { child, list, runMemo, text } from "../util.ts";

interface Binding {
  readonly name: string;
  readonly role: string;
  /** `<namespace>/<name>` of every ServiceAccount subject. */
  readonly serviceAccounts: ReadonlySet<string>;
}

const toBinding = (crb: KubeObject): Binding => {
  const serviceAccounts = new Set<string>();
  for (const subject of list(crb, "subjects")) {
    if (!isRecord(subject) || subject["kind"] !== "ServiceAccount") continue;
    serviceAccounts.add(`${text(subject, "namespace") ?? ""}/${text(subject, "name") ?? ""}`);
  }
  return { name: crb.metadata?.name ?? "", role: text(child(crb, "roleRef"), "name") ?? "", serviceAccounts };
};

const loadBindings = async ({ cluster, signal }: BackupItemActionInput): Promise<Binding[]> => {
  const resource = (await cluster.discovery()).find("clusterrolebindings.rbac.authorization.k8s.io");
  if (!resource) return []; // RBAC not served: nothing can bind the account (Velero's no-op lister)
  return (await cluster.list(resource, { signal })).map(toBinding);
};

/**
 * `velero.io/service-account` (Velero's `pkg/backup/actions/service_account_action.go`): a
 * ServiceAccount brings every ClusterRoleBinding that names it as a subject, and each binding's
 * ClusterRole (not RoleBindings). Bindings first, then roles, each sorted by name.
 *
 * ClusterRoleBindings are listed once per backup (the first time the action runs in it) and cached
 * for the rest of that backup; a failed list is retried by the next ServiceAccount.
 */
export const serviceAccountBackupAction = (): BackupItemAction => {
  const memo = runMemo<Binding[]>();
  const bindingsFor = (input: BackupItemActionInput) => memo(input.backup, "", () => loadBindings(input));

  return {
    name: "velero.io/service-account",
    appliesTo: { resources: ["serviceaccounts"] },
    async execute(input) {
      const { item, log } = input;
      const key = `${item.metadata?.namespace ?? ""}/${item.metadata?.name ?? ""}`;
      const bindings = new Set<string>();
      const roles = new Set<string>();
      for (const binding of await bindingsFor(input)) {
        if (!binding.serviceAccounts.has(key)) continue;
        log.info(
          `Adding clusterrole ${binding.role} and clusterrolebinding ${binding.name} to relatedItems since serviceaccount ${key} is a subject`,
        );
        bindings.add(binding.name);
        if (binding.role) roles.add(binding.role);
      }
      if (bindings.size === 0) return undefined;
      const additionalItems: ResourceIdentifier[] = [
        ...[...bindings]
          .sort()
          .map((name) => ({ resource: "clusterrolebindings.rbac.authorization.k8s.io", name })),
        ...[...roles].sort().map((name) => ({ resource: "clusterroles.rbac.authorization.k8s.io", name })),
      ];
      return { additionalItems };
    },
  };
};
