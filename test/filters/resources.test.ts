import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import {
  checkResourceIncludesExcludes,
  createResourceIncludesExcludes,
  resolveResourceName,
} from "../../lib/filters/index.ts";
import { fakeDiscovery } from "./fixtures.ts";

const discovery = fakeDiscovery();

describe("resolveResourceName: every name form → Velero's group-resource string", () => {
  const table: [string, string][] = [
    ["pods", "pods"],
    ["pod", "pods"],
    ["po", "pods"],
    ["Pod", "pods"],
    ["cm", "configmaps"],
    ["ConfigMap", "configmaps"],
    ["configmaps", "configmaps"],
    ["deploy", "deployments.apps"],
    ["deployment", "deployments.apps"],
    ["Deployment", "deployments.apps"],
    ["deployments", "deployments.apps"],
    ["deployments.apps", "deployments.apps"],
    ["deployments.extensions", "deployments.extensions"],
    ["pv", "persistentvolumes"],
    ["PersistentVolume", "persistentvolumes"],
    ["pvc", "persistentvolumeclaims"],
    ["crd", "customresourcedefinitions.apiextensions.k8s.io"],
    ["customresourcedefinitions.apiextensions.k8s.io", "customresourcedefinitions.apiextensions.k8s.io"],
    ["ev", "events"],
    ["events.events.k8s.io", "events.events.k8s.io"],
    ["netpol", "networkpolicies.networking.k8s.io"],
    ["clusterroles", "clusterroles.rbac.authorization.k8s.io"],
    ["sc", "storageclasses.storage.k8s.io"],
    ["cj", "cronjobs.batch"],
    ["*", "*"],
    // unknown names are kept as written
    ["widgets", "widgets"],
    ["widgets.example.com", "widgets.example.com"],
  ];
  for (const [input, expected] of table)
    test(`${input} → ${expected}`, () => {
      assert.equal(resolveResourceName(discovery, input).groupResource, expected);
    });
});

describe("resource include/exclude lists", () => {
  // included, excluded, group-resource → shouldInclude
  const table: [string[], string[], string, boolean][] = [
    [[], [], "pods", true],
    [["*"], [], "secrets", true],
    [["*"], ["secret"], "secrets", false],
    [["deploy", "cm"], [], "deployments.apps", true],
    [["deploy", "cm"], [], "configmaps", true],
    [["deploy", "cm"], [], "pods", false],
    [["Deployment"], [], "deployments.apps", true],
    [["Deployment"], [], "deployments.extensions", false],
    [[], ["deployments.apps"], "deployments.apps", false],
    [[], ["deployments.apps"], "statefulsets.apps", true],
    [[], ["Secret", "ConfigMap"], "configmaps", false],
    // an include list of only unknown names matches nothing (not everything): velero#2461
    [["widgets"], [], "pods", false],
    [["widgets"], [], "widgets", true],
  ];
  for (const [included, excluded, gr, expected] of table)
    test(`include ${JSON.stringify(included)} exclude ${JSON.stringify(excluded)}: ${gr} → ${expected}`, () => {
      const lists = createResourceIncludesExcludes(discovery, { included, excluded });
      assert.equal(lists.shouldInclude(gr), expected);
    });

  test("resolved lists are group-resource strings, de-duplicated", () => {
    const lists = createResourceIncludesExcludes(discovery, {
      included: ["deploy", "deployments", "Deployment", "po", "pods"],
      excluded: ["secret"],
    });
    assert.deepEqual(lists.included, ["deployments.apps", "pods"]);
    assert.deepEqual(lists.excluded, ["secrets"]);
    assert.equal(lists.isEverything(), false);
    assert.equal(createResourceIncludesExcludes(discovery, { included: ["*"] }).isEverything(), true);
    assert.equal(createResourceIncludesExcludes(discovery, {}).isEverything(), true);
    assert.equal(createResourceIncludesExcludes(discovery, { excluded: ["pods"] }).isEverything(), false);
  });

  test("unknown names are warnings, not problems", () => {
    const checked = checkResourceIncludesExcludes(discovery, {
      included: ["widgets"],
      excluded: ["gadgets.example.com"],
    });
    assert.deepEqual(checked.problems, []);
    assert.equal(checked.warnings.length, 2);
    assert.match(checked.warnings[0]!, /includedResources: resource "widgets" is not served by this cluster/);
    assert.match(checked.warnings[1]!, /excludedResources: resource "gadgets.example.com" is not served/);
  });

  test("validation (old rules): every problem at once", () => {
    const checked = checkResourceIncludesExcludes(discovery, {
      included: ["*", "pods", "deploy", "cm"],
      excluded: ["*", "deployments.apps", "ConfigMap"],
    });
    assert.equal(checked.problems.length, 4, checked.problems.join("\n"));
    assert.match(checked.problems[0]!, /includedResources: expected "\*" alone or a list of resources/);
    assert.match(checked.problems[1]!, /excludedResources: "\*" is not allowed/);
    assert.match(
      checked.problems[2]!,
      /deployments.apps is in both includedResources and excludedResources \(as "deploy" \/ "deployments.apps"\)/,
    );
    assert.match(checked.problems[3]!, /configmaps is in both/);
    assert.throws(
      () => createResourceIncludesExcludes(discovery, { excluded: ["*"] }),
      (e: unknown) => e instanceof ValidationError && e.problems.length === 1,
    );
  });

  test("validation (scoped rules): * alone in excludes, and then no includes", () => {
    const cases: [string[], string[], RegExp[]][] = [
      [[], ["*"], []],
      [["pods"], ["*"], [/excludedResources is "\*" but includedResources is \["pods"\]/]],
      [[], ["*", "pods"], [/excludedResources: expected "\*" alone/]],
      [["*", "pods"], [], [/includedResources: expected "\*" alone/]],
    ];
    for (const [included, excluded, expected] of cases) {
      const { problems } = checkResourceIncludesExcludes(discovery, { included, excluded, rules: "scoped" });
      assert.equal(problems.length, expected.length, problems.join("\n"));
      expected.forEach((re, i) => {
        assert.match(problems[i]!, re);
      });
    }
    const allOut = createResourceIncludesExcludes(discovery, { excluded: ["*"], rules: "scoped" });
    assert.equal(allOut.shouldInclude("pods"), false);
    assert.equal(allOut.isExcluded("anything"), true);
  });
});
