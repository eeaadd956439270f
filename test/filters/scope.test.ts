import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import {
  checkResourceFilter,
  createNamespaceFilter,
  createResourceFilter,
  type ResourceFilterSpec,
  usesOldResourceFilters,
} from "../../lib/filters/index.ts";
import { fakeDiscovery, resourceOf } from "./fixtures.ts";

const discovery = fakeDiscovery();
const ALL_NS = createNamespaceFilter({});
const SOME_NS = createNamespaceFilter({ included: ["shop"] });

const PV = "persistentvolumes";
const NSR = "namespaces";
const SC = "storageclasses.storage.k8s.io";
const CRB = "clusterrolebindings.rbac.authorization.k8s.io";

type Row = [
  name: string,
  spec: ResourceFilterSpec,
  namespaces: "all" | "some",
  groupResource: string,
  viaAction: boolean,
  include: boolean,
  reason: RegExp,
];

/**
 * The cluster-scoped tri-state and the scoped filters, row by row: filter style × namespace filter
 * everything or not × cluster-scoped or namespaced resource × collected or returned by an action.
 */
const MATRIX: Row[] = [
  // --- old filters, includeClusterResources: true
  ["old true", { includeClusterResources: true }, "some", PV, false, true, /includeClusterResources is true/],
  ["old true", { includeClusterResources: true }, "some", PV, true, true, /returned by an action/],
  ["old true", { includeClusterResources: true }, "all", SC, false, true, /includeClusterResources is true/],
  ["old true", { includeClusterResources: true }, "some", "pods", false, true, /passes/],
  [
    "old true + includedResources",
    { includeClusterResources: true, includedResources: ["pods"] },
    "all",
    PV,
    false,
    false,
    /not listed in includedResources/,
  ],
  // --- old filters, includeClusterResources: false (nothing cluster-scoped, ever)
  [
    "old false",
    { includeClusterResources: false },
    "all",
    PV,
    false,
    false,
    /includeClusterResources is false/,
  ],
  [
    "old false",
    { includeClusterResources: false },
    "some",
    PV,
    false,
    false,
    /includeClusterResources is false/,
  ],
  [
    "old false",
    { includeClusterResources: false },
    "some",
    PV,
    true,
    false,
    /includeClusterResources is false/,
  ],
  [
    "old false",
    { includeClusterResources: false },
    "all",
    NSR,
    false,
    false,
    /includeClusterResources is false/,
  ],
  [
    "old false",
    { includeClusterResources: false },
    "some",
    NSR,
    true,
    false,
    /includeClusterResources is false/,
  ],
  [
    "old false",
    { includeClusterResources: false },
    "some",
    CRB,
    true,
    false,
    /includeClusterResources is false/,
  ],
  ["old false", { includeClusterResources: false }, "some", "pods", false, true, /passes/],
  ["old false", { includeClusterResources: false }, "some", "pods", true, true, /returned by an action/],
  // --- old filters, includeClusterResources unset (old style through excludedResources)
  ["old unset", { excludedResources: ["secrets"] }, "all", PV, false, true, /passes/],
  ["old unset", { excludedResources: ["secrets"] }, "some", PV, false, false, /only some namespaces/],
  ["old unset", { excludedResources: ["secrets"] }, "some", PV, true, true, /returned by an action/],
  ["old unset", { excludedResources: ["secrets"] }, "some", CRB, true, true, /returned by an action/],
  ["old unset", { excludedResources: ["secrets"] }, "some", NSR, false, true, /passes/],
  ["old unset", { excludedResources: ["secrets"] }, "some", "pods", false, true, /passes/],
  ["old unset", { excludedResources: ["secrets"] }, "some", "secrets", false, false, /excludedResources/],
  ["old unset", { excludedResources: ["secrets"] }, "some", "secrets", true, false, /excludedResources/],
  ["old unset", { excludedResources: ["pv"] }, "some", PV, true, false, /listed in excludedResources/],
  // an old-style includedResources list that does not name the action's cluster-scoped item drops it
  [
    "old unset",
    { includedResources: ["pods", "pvc"] },
    "some",
    PV,
    true,
    false,
    /not listed in includedResources/,
  ],
  [
    "old unset",
    { includedResources: ["pods", "pvc", "pv"] },
    "some",
    PV,
    true,
    true,
    /returned by an action/,
  ],
  // ...but naming it does not beat the unset rule at collection time
  ["old unset", { includedResources: ["pods", "pv"] }, "some", PV, false, false, /only some namespaces/],
  ["old unset", { includedResources: ["pods", "pv"] }, "all", PV, false, true, /passes/],
  [
    "old unset",
    { includedResources: ["pods"] },
    "some",
    NSR,
    false,
    false,
    /not listed in includedResources/,
  ],
  ["old unset", { includedResources: ["pods"] }, "some", "pods", true, true, /returned by an action/],
  ["old unset", { includedResources: ["pods"] }, "some", "configmaps", true, false, /not listed/],
  // --- new filters: none of the seven fields set
  ["none", {}, "all", PV, false, true, /every namespace and namespace-scoped resource/],
  ["none", {}, "some", PV, false, false, /not listed in includedClusterScopedResources/],
  ["none", {}, "some", PV, true, true, /returned by an action/],
  ["none", {}, "some", NSR, false, true, /namespaces are always taken/],
  ["none", {}, "some", "pods", false, true, /namespace-scoped resource filters/],
  ["none", {}, "some", "pods", true, true, /namespace-scoped resource filters/],
  // --- new filters: namespace-scoped lists only
  ["new ns-scoped", { includedNamespaceScopedResources: ["pods"] }, "all", PV, false, false, /not listed/],
  ["new ns-scoped", { includedNamespaceScopedResources: ["pods"] }, "all", PV, true, true, /action/],
  ["new ns-scoped", { includedNamespaceScopedResources: ["pods"] }, "all", NSR, false, true, /always taken/],
  ["new ns-scoped", { includedNamespaceScopedResources: ["pods"] }, "all", "pods", false, true, /passes/],
  [
    "new ns-scoped",
    { includedNamespaceScopedResources: ["pods"] },
    "all",
    "configmaps",
    false,
    false,
    /not listed in includedNamespaceScopedResources/,
  ],
  [
    "new ns-scoped",
    { includedNamespaceScopedResources: ["pods"] },
    "all",
    "configmaps",
    true,
    false,
    /not listed in includedNamespaceScopedResources/,
  ],
  [
    "new ns-scoped",
    { excludedNamespaceScopedResources: ["secrets"] },
    "some",
    "secrets",
    true,
    false,
    /excludedNamespaceScopedResources/,
  ],
  // --- new filters: cluster-scoped lists
  ["new cluster", { includedClusterScopedResources: ["sc"] }, "some", SC, false, true, /listed in included/],
  ["new cluster", { includedClusterScopedResources: ["sc"] }, "some", PV, false, false, /not listed/],
  ["new cluster", { includedClusterScopedResources: ["sc"] }, "some", PV, true, true, /not excluded/],
  ["new cluster", { includedClusterScopedResources: ["sc"] }, "all", PV, false, false, /not listed/],
  ["new cluster", { includedClusterScopedResources: ["*"] }, "some", PV, false, true, /listed in included/],
  ["new cluster", { excludedClusterScopedResources: ["pv"] }, "all", PV, false, false, /listed in excluded/],
  ["new cluster", { excludedClusterScopedResources: ["pv"] }, "some", PV, true, false, /listed in excluded/],
  // any cluster-scoped list switches the full-cluster default off
  ["new cluster", { excludedClusterScopedResources: ["pv"] }, "all", SC, false, false, /not listed/],
  ["new cluster", { excludedClusterScopedResources: ["pv"] }, "all", SC, true, true, /not excluded/],
  ["new cluster", { excludedClusterScopedResources: ["pv"] }, "some", NSR, false, true, /always taken/],
  ["new cluster", { excludedClusterScopedResources: ["*"] }, "some", PV, true, false, /listed in excluded/],
  ["new cluster", { excludedClusterScopedResources: ["*"] }, "all", NSR, false, false, /listed in excluded/],
  ["new cluster", { excludedClusterScopedResources: ["ns"] }, "all", NSR, true, false, /listed in excluded/],
];

describe("ResourceFilter.includeResource: the cluster-scoped tri-state, old and new filters", () => {
  for (const [name, spec, ns, gr, viaAction, include, reason] of MATRIX)
    test(`${name} ${JSON.stringify(spec)} | ns ${ns} | ${gr} | ${viaAction ? "via action" : "collected"} → ${include ? "in" : "out"}`, () => {
      const filter = createResourceFilter(discovery, spec, { namespaces: ns === "all" ? ALL_NS : SOME_NS });
      const decision = filter.includeResource(resourceOf(discovery, gr), { viaAction });
      assert.equal(decision.include, include, decision.reason);
      assert.match(decision.reason, reason);
    });
});

describe("old vs new filters", () => {
  test("usesOldResourceFilters: Velero's UseOldResourceFilters", () => {
    const table: [ResourceFilterSpec, boolean][] = [
      [{}, false],
      [{ includedResources: [] }, false],
      [{ includeClusterResources: null }, false],
      [{ includeClusterResources: false }, true],
      [{ includeClusterResources: true }, true],
      [{ includedResources: ["pods"] }, true],
      [{ excludedResources: ["pods"] }, true],
      [{ includedClusterScopedResources: ["sc"] }, false],
    ];
    for (const [spec, old] of table) {
      assert.equal(usesOldResourceFilters(spec), old, JSON.stringify(spec));
      assert.equal(createResourceFilter(discovery, spec, { namespaces: ALL_NS }).style, old ? "old" : "new");
    }
  });

  test("mixing old and new is a problem naming the fields of both", () => {
    const checked = checkResourceFilter(
      discovery,
      {
        includeClusterResources: false,
        includedNamespaceScopedResources: ["pods"],
        excludedClusterScopedResources: ["pv"],
      },
      { namespaces: ALL_NS },
    );
    assert.equal(checked.problems.length, 1);
    assert.match(
      checked.problems[0]!,
      /received includeClusterResources \(old\) with excludedClusterScopedResources, includedNamespaceScopedResources \(new\)/,
    );
  });

  test("scoped list validation, all problems at once", () => {
    const error = (() => {
      try {
        createResourceFilter(
          discovery,
          {
            includedClusterScopedResources: ["sc"],
            excludedClusterScopedResources: ["*"],
            includedNamespaceScopedResources: ["*", "pods"],
            excludedNamespaceScopedResources: ["secrets", "*"],
          },
          { namespaces: ALL_NS },
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationError);
    const expected = [
      /^excludedClusterScopedResources is "\*" but includedClusterScopedResources is \["sc"\]/,
      /^includedNamespaceScopedResources: expected "\*" alone/,
      /^excludedNamespaceScopedResources: expected "\*" alone/,
      /^excludedNamespaceScopedResources is "\*" but includedNamespaceScopedResources is \["\*","pods"\]/,
    ];
    assert.equal(error.problems.length, expected.length, error.problems.join("\n"));
    expected.forEach((re, i) => {
      assert.match(error.problems[i]!, re);
    });
  });

  test("resources listed under the wrong scope and unknown names are warnings", () => {
    const filter = createResourceFilter(
      discovery,
      { includedClusterScopedResources: ["pods", "widgets"], excludedNamespaceScopedResources: ["pv"] },
      { namespaces: ALL_NS },
    );
    const warnings = filter.warnings.join("\n");
    assert.equal(filter.warnings.length, 3, warnings);
    assert.match(warnings, /includedClusterScopedResources: resource "widgets" is not served/);
    assert.match(warnings, /includedClusterScopedResources: pods is namespace-scoped/);
    assert.match(warnings, /excludedNamespaceScopedResources: persistentvolumes is cluster-scoped/);
  });
});

describe("restore resource filters", () => {
  const restore = (spec: ResourceFilterSpec, namespaces = ALL_NS) =>
    createResourceFilter(discovery, spec, { namespaces, purpose: "restore" });

  test("never-restored resources are excluded whatever the filters", () => {
    const filter = restore({ includedResources: ["*"], includeClusterResources: true });
    for (const gr of [
      "nodes",
      "events",
      "events.events.k8s.io",
      "backups.velero.io",
      "volumeattachments.storage.k8s.io",
    ]) {
      const d = filter.includeResource(resourceOf(discovery, gr), { viaAction: false });
      assert.equal(d.include, false, gr);
      assert.match(d.reason, /excludedResources/);
    }
    assert.equal(filter.includeResource(resourceOf(discovery, "pods"), { viaAction: false }).include, true);
  });

  test("datauploads and volumesnapshotcontents bypass every filter", () => {
    const filter = restore({ includedResources: ["pods"], includeClusterResources: false });
    for (const gr of ["datauploads.velero.io", "volumesnapshotcontents.snapshot.storage.k8s.io"])
      for (const viaAction of [false, true]) {
        const d = filter.includeResource(resourceOf(discovery, gr), { viaAction });
        assert.deepEqual([d.include, /always restored/.test(d.reason)], [true, true], gr);
      }
  });

  test("the tri-state works as the old backup filters", () => {
    const pv = resourceOf(discovery, PV);
    assert.equal(restore({}, SOME_NS).includeResource(pv, { viaAction: false }).include, false);
    assert.equal(restore({}, SOME_NS).includeResource(pv, { viaAction: true }).include, true);
    assert.equal(restore({}, ALL_NS).includeResource(pv, { viaAction: false }).include, true);
    assert.equal(
      restore({ includeClusterResources: false }).includeResource(pv, { viaAction: true }).include,
      false,
    );
    assert.equal(
      restore({ includeClusterResources: true }, SOME_NS).includeResource(pv, { viaAction: false }).include,
      true,
    );
    assert.equal(restore({}).style, "old");
  });

  test("problems: never-restored in includes (any name form), new fields on a restore", () => {
    const checked = checkResourceFilter(
      discovery,
      { includedResources: ["no", "events.events.k8s.io", "pods"], includedClusterScopedResources: ["sc"] },
      { namespaces: ALL_NS, purpose: "restore" },
    );
    const problems = checked.problems.join("\n");
    assert.equal(checked.problems.length, 3, problems);
    assert.match(problems, /a restore has no includedClusterScopedResources/);
    assert.match(problems, /includedResources: nodes \("no"\) is never restored/);
    assert.match(problems, /includedResources: events.events.k8s.io is never restored/);
  });
});
