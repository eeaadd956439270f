import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { backup, type Cluster } from "../../lib/index.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";
import { readTarball } from "../support/tarball.ts";

// Three namespaces `<p>-shop-a`, `<p>-shop-b`, `<p>-other`, each with ConfigMaps `tier-front`
// (labels tier=front) and `tier-back` (tier=back), a Secret, and a namespaced ServiceAccount bound to a
// ClusterRole through a ClusterRoleBinding (so the SA action can pull cluster-scoped items in).
let cluster: Cluster;
let shopA: string;
let shopB: string;
let other: string;
let prefix: string;
let crb: string;

before(async () => {
  cluster = await connectTest();
  other = await makeNamespace(cluster, "flt");
  prefix = other;
  shopA = `${prefix}-shop-a`;
  shopB = `${prefix}-shop-b`;
  for (const ns of [shopA, shopB]) {
    await cluster.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }
  for (const ns of [shopA, shopB, other]) {
    for (const tier of ["front", "back"]) {
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `tier-${tier}`, labels: { tier } } },
        { namespace: ns },
      );
    }
    await cluster.create(
      "secrets",
      { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { a: "b" } },
      { namespace: ns },
    );
    await cluster.create(
      "serviceaccounts",
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "robot" } },
      { namespace: ns },
    );
  }
  crb = `${prefix}-robot`;
  await cluster.create("clusterrolebindings", {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: crb },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "ServiceAccount", name: "robot", namespace: shopA }],
  });
});

/** The classic item paths of a backup with `options`, restricted to our namespaces and CRB. */
const itemsOf = async (options: Record<string, unknown>): Promise<string[]> => {
  const store = tempFsStore();
  const name = `f-${Math.random().toString(36).slice(2, 8)}`;
  await backup({ cluster, store, name, ...options });
  const entries = await readTarball(await store.get(`backups/${name}/${name}.tar.gz`));
  return entries
    .map((e) => e.path)
    .filter((p) => !p.includes("-preferredversion/"))
    .filter((p) => p.includes(prefix) || p.endsWith("/cluster/view.json"))
    .filter((p) => !p.includes("kube-root-ca.crt") && !p.endsWith("/default.json"))
    .map((p) => p.replace(prefix, "P").replace("resources/", ""))
    .sort();
};

const cm = (ns: string, name: string) => `configmaps/namespaces/P${ns}/${name}.json`;

describe("backup() filters against a real cluster (Velero semantics)", () => {
  const cases: Array<[string, () => Record<string, unknown>, (paths: string[]) => void]> = [
    [
      "a namespace glob includes both shops, not the other namespace",
      () => ({ includedNamespaces: [`${prefix}-shop-*`], includedResources: ["configmaps"] }),
      (paths) =>
        assert.deepEqual(
          paths.filter((p) => p.startsWith("configmaps/")),
          [
            cm("-shop-a", "tier-back"),
            cm("-shop-a", "tier-front"),
            cm("-shop-b", "tier-back"),
            cm("-shop-b", "tier-front"),
          ],
        ),
    ],
    [
      "excludes win over includes",
      () => ({
        includedNamespaces: [`${prefix}*`],
        excludedNamespaces: [`${prefix}-shop-b`],
        includedResources: ["cm"],
      }),
      (paths) => {
        assert.ok(paths.includes(cm("", "tier-front")) && paths.includes(cm("-shop-a", "tier-front")));
        assert.ok(!paths.some((p) => p.includes("shop-b")));
      },
    ],
    [
      "resources in any name form: excluded Secrets and ConfigMaps by kind and short name",
      () => ({ includedNamespaces: [shopA], excludedResources: ["Secret", "cm"] }),
      (paths) => {
        assert.ok(!paths.some((p) => p.startsWith("secrets/") || p.startsWith("configmaps/")));
        assert.ok(paths.some((p) => p.startsWith("serviceaccounts/")));
      },
    ],
    [
      "includeClusterResources unset + namespace filter: cluster-scoped items only through actions (SA → CRB → ClusterRole)",
      () => ({ includedNamespaces: [shopA] }),
      (paths) => {
        assert.ok(
          paths.includes(`clusterrolebindings.rbac.authorization.k8s.io/cluster/P-robot.json`),
          "CRB via the SA action",
        );
        assert.ok(
          paths.includes("clusterroles.rbac.authorization.k8s.io/cluster/view.json"),
          "ClusterRole via the SA action",
        );
        assert.ok(paths.includes(`namespaces/cluster/P-shop-a.json`));
      },
    ],
    [
      "includeClusterResources false: no cluster-scoped items at all, not even namespaces",
      () => ({ includedNamespaces: [shopA], includeClusterResources: false }),
      (paths) =>
        assert.deepEqual(
          paths.filter((p) => p.includes("/cluster/")),
          [],
        ),
    ],
    [
      "includeClusterResources true: all cluster-scoped resources with a namespace filter",
      () => ({
        includedNamespaces: [shopB],
        includeClusterResources: true,
        includedResources: ["configmaps", "clusterrolebindings", "namespaces"],
      }),
      (paths) => {
        assert.ok(
          paths.includes(`clusterrolebindings.rbac.authorization.k8s.io/cluster/P-robot.json`),
          "listed, not via an action",
        );
        assert.ok(paths.includes(cm("-shop-b", "tier-front")));
      },
    ],
    [
      "label selector: only tier=front items",
      () => ({
        includedNamespaces: [shopA, shopB],
        includedResources: ["configmaps"],
        labelSelector: "tier=front",
      }),
      (paths) =>
        assert.deepEqual(
          paths.filter((p) => p.startsWith("configmaps/")),
          [cm("-shop-a", "tier-front"), cm("-shop-b", "tier-front")],
        ),
    ],
    [
      "OR selectors: one LIST per selector, results combined once",
      () => ({
        includedNamespaces: [other],
        includedResources: ["configmaps"],
        orLabelSelectors: ["tier=front", { matchLabels: { tier: "back" } }, "tier in (front)"],
      }),
      (paths) =>
        assert.deepEqual(
          paths.filter((p) => p.startsWith("configmaps/")),
          [cm("", "tier-back"), cm("", "tier-front")],
        ),
    ],
    [
      "new scoped filters: namespace-scoped include list, cluster-scoped exclude",
      () => ({
        includedNamespaces: [shopA],
        includedNamespaceScopedResources: ["serviceaccounts"],
        excludedClusterScopedResources: ["clusterroles"],
      }),
      (paths) => {
        assert.ok(paths.some((p) => p.startsWith("serviceaccounts/")));
        assert.ok(!paths.some((p) => p.startsWith("configmaps/") || p.startsWith("secrets/")));
        assert.ok(
          !paths.some((p) => p.startsWith("clusterroles.")),
          "explicitly excluded cluster-scoped resource",
        );
      },
    ],
  ];
  for (const [title, options, check] of cases) {
    test(title, async () => check(await itemsOf(options())));
  }
});
