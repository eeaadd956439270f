import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  collectionOrder,
  createNamespaceFilter,
  createResourceFilter,
  type ResourceFilterSpec,
  selectForCollection,
} from "../../lib/filters/index.ts";
import { fakeDiscovery, serverOrderDiscovery } from "./fixtures.ts";

const ALL_NS = createNamespaceFilter({});

const select = (spec: ResourceFilterSpec, namespaces = ALL_NS, discovery = fakeDiscovery()) =>
  selectForCollection(discovery, createResourceFilter(discovery, spec, { namespaces })).map(
    (r) => r.groupResource,
  );

/** A full-cluster backup in the fixture cluster, in Velero's order. */
const FULL = [
  // core first, pods / pvcs / pvs leading, the rest in discovery order
  "pods",
  "persistentvolumeclaims",
  "persistentvolumes",
  "namespaces",
  "configmaps",
  "events",
  "nodes",
  "secrets",
  "serviceaccounts",
  "services",
  // bindings (create only) and componentstatuses (get, list) lack verbs
  "deployments.apps",
  "daemonsets.apps",
  "replicasets.apps",
  "statefulsets.apps",
  // events.events.k8s.io cohabits with core events
  "networkpolicies.networking.k8s.io",
  "ingresses.networking.k8s.io",
  "jobs.batch",
  "cronjobs.batch",
  "clusterroles.rbac.authorization.k8s.io",
  "clusterrolebindings.rbac.authorization.k8s.io",
  "storageclasses.storage.k8s.io",
  "volumeattachments.storage.k8s.io",
  "customresourcedefinitions.apiextensions.k8s.io",
  "backups.velero.io",
  "datauploads.velero.io",
  "volumesnapshotcontents.snapshot.storage.k8s.io",
  // extensions last: its deployments, daemonsets and networkpolicies cohabit with apps / networking
];

describe("selectForCollection", () => {
  test("full-cluster order: core reordered, verbs required, cohabitants once, extensions last", () => {
    assert.deepEqual(select({}), FULL);
  });

  test("extensions is moved last even when the server lists it before apps", () => {
    assert.deepEqual(select({}, ALL_NS, serverOrderDiscovery()), FULL);
    const groups = [...new Set(collectionOrder(serverOrderDiscovery()).map((r) => r.group))];
    assert.equal(groups.at(-1), "extensions");
    assert.deepEqual(groups.slice(0, 3), ["", "apps", "events.k8s.io"]);
  });

  test("cohabitation: a resource excluded in the winning group lets the other group's copy in", () => {
    const table: [ResourceFilterSpec, string[], string[]][] = [
      // excluded, must be present, must be absent
      [{ excludedResources: ["events"] }, ["events.events.k8s.io"], ["events"]],
      [{ excludedResources: ["deployments.apps"] }, ["deployments.extensions"], ["deployments.apps"]],
      [
        { excludedResources: ["networkpolicies.networking.k8s.io"] },
        ["networkpolicies.extensions"],
        ["networkpolicies.networking.k8s.io"],
      ],
      [{ includedResources: ["deployments.extensions"] }, ["deployments.extensions"], ["deployments.apps"]],
    ];
    for (const [spec, present, absent] of table) {
      const selected = select(spec);
      for (const gr of present) assert.ok(selected.includes(gr), `${JSON.stringify(spec)}: ${gr} listed`);
      for (const gr of absent) assert.ok(!selected.includes(gr), `${JSON.stringify(spec)}: ${gr} not listed`);
    }
  });

  test("filters apply: a namespace backup lists namespaced resources plus the namespaces", () => {
    const some = createNamespaceFilter({ included: ["shop"] });
    const selected = select({}, some);
    assert.deepEqual(
      selected.filter((gr) => ["persistentvolumes", "nodes", "storageclasses.storage.k8s.io"].includes(gr)),
      [],
    );
    assert.deepEqual(selected.slice(0, 3), ["pods", "persistentvolumeclaims", "namespaces"]);
    assert.deepEqual(select({ includedResources: ["deploy", "po", "cm"] }), [
      "pods",
      "configmaps",
      "deployments.apps",
    ]);
    assert.deepEqual(select({ includeClusterResources: false, includedResources: ["pv", "pvc"] }), [
      "persistentvolumeclaims",
    ]);
  });

  test("onSkip reports every resource left out, with a reason", () => {
    const discovery = fakeDiscovery();
    const skipped = new Map<string, string>();
    const filter = createResourceFilter(
      discovery,
      { excludedResources: ["secrets"] },
      { namespaces: ALL_NS },
    );
    const selected = selectForCollection(discovery, filter, {
      onSkip: (r, reason) => skipped.set(r.groupResource, reason),
    });
    assert.equal(selected.length + skipped.size, collectionOrder(discovery).length);
    assert.match(skipped.get("secrets")!, /excludedResources/);
    assert.match(skipped.get("bindings")!, /does not support list, get, delete/);
    assert.match(skipped.get("componentstatuses")!, /does not support create, delete/);
    assert.match(skipped.get("events.events.k8s.io")!, /cohabits/);
    assert.match(skipped.get("deployments.extensions")!, /cohabits/);
  });
});
