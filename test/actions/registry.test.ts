import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { actionNameProblem } from "../../lib/actions/names.ts";
import { resolveActions } from "../../lib/actions/registry.ts";
import type { BackupItemAction, ResourceSelector } from "../../lib/actions/types.ts";
import { ValidationError } from "../../lib/errors.ts";
import type { Discovery } from "../../lib/kube/discovery.ts";
import { fakeDiscovery } from "./support.ts";

const act = (name: string, appliesTo?: ResourceSelector): BackupItemAction =>
  appliesTo ? { name, appliesTo, execute: () => undefined } : { name, execute: () => undefined };

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail("expected a ValidationError");
};

describe("action names", () => {
  const valid = ["velero.io/pod", "example.io/redact-secrets", "a/b", "x.y-z.io/A_b.c-1", "stowage.dev/x"];
  for (const name of valid) {
    test(`accepts ${name}`, () => assert.equal(actionNameProblem(name), undefined));
  }
  const invalid: Array<[unknown, RegExp]> = [
    ["pod", /exactly one "\/"/],
    ["velero.io/a/b", /exactly one "\/"/],
    ["velero.io/", /empty part/],
    ["/pod", /empty part/],
    ["Velero.io/pod", /not a DNS subdomain/],
    ["-bad.io/x", /not a DNS subdomain/],
    ["bad..io/x", /not a DNS subdomain/],
    ["velero.io/has space", /may only contain/],
    ["velero.io/ünïcode", /may only contain/],
    [`${"a".repeat(254)}/x`, /at most 253/],
    ["", /exactly one/],
    [undefined, /received no name/],
    [42, /received number/],
  ];
  for (const [name, expected] of invalid) {
    test(`rejects ${JSON.stringify(name)?.slice(0, 30)}`, () =>
      assert.match(actionNameProblem(name) ?? "", expected));
  }
});

describe("resolveActions validation", () => {
  const discovery = fakeDiscovery();

  test("lists every problem of every action at once", () => {
    const problems = problemsOf(() =>
      resolveActions(
        [
          act("bad-name"),
          { name: "example.io/no-exec" } as unknown as BackupItemAction,
          act("example.io/typo", { resources: ["deploymetns"] }),
        ],
        discovery,
      ),
    );
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, /^action "bad-name": name "bad-name" must have exactly one/);
    assert.match(problems[1]!, /^action "example.io\/no-exec": execute must be a function/);
    assert.match(
      problems[2]!,
      /^action "example.io\/typo": appliesTo.resources: resource "deploymetns" is not served/,
    );
  });

  test("rejects duplicate names, naming both positions", () => {
    const problems = problemsOf(() =>
      resolveActions([act("example.io/a"), act("example.io/b"), act("example.io/a")], discovery),
    );
    assert.deepEqual(problems, [
      'action "example.io/a" is registered twice (actions #1 and #3): names must be unique; rename one',
    ]);
  });

  test("lists every unknown resource name", () => {
    const problems = problemsOf(() =>
      resolveActions(
        [act("example.io/a", { resources: ["pods", "podz"], excludedResources: ["deploymetns.apps"] })],
        discovery,
      ),
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /appliesTo.resources: resource "podz"/);
    assert.match(problems[1]!, /appliesTo.excludedResources: resource "deploymetns.apps"/);
  });

  test("keeps a qualified name of a group the cluster does not serve (a CRD the restore creates), with a warning", () => {
    const set = resolveActions([act("example.io/a", { resources: ["widgets.example.com"] })], discovery);
    assert.equal(set.warnings.length, 1);
    assert.match(set.warnings[0]!, /"widgets.example.com" is not served by this cluster \(yet\)/);
    assert.equal(set.forItem({ groupResource: "widgets.example.com", namespace: "shop" }).length, 1);
    assert.equal(set.forItem({ groupResource: "pods", namespace: "shop" }).length, 0);
  });

  test("flags unknown selector fields with a hint, wrong types, bad globs and bad label selectors", () => {
    const problems = problemsOf(() =>
      resolveActions(
        [
          act("example.io/a", { includedNamespaces: ["shop"] } as unknown as ResourceSelector),
          act("example.io/b", { namespaces: "shop" } as unknown as ResourceSelector),
          act("example.io/c", { namespaces: ["shop-[ab"] }),
          act("example.io/d", { labelSelector: "app in (web" }),
          act("example.io/e", { excludedNamespaces: ["*"] }),
          act("example.io/f", { labelSelector: 7 } as unknown as ResourceSelector),
        ],
        discovery,
      ),
    );
    assert.deepEqual(
      problems.map((p) => p.replace(/:.*/s, "")),
      [
        'action "example.io/a"',
        'action "example.io/b"',
        'action "example.io/c"',
        'action "example.io/d"',
        'action "example.io/e"',
        'action "example.io/f"',
      ],
    );
    assert.match(
      problems[0]!,
      /appliesTo.includedNamespaces is not a selector field: did you mean "namespaces"\?/,
    );
    assert.match(problems[1]!, /expected an array of non-empty strings, received "shop"/);
    assert.match(problems[2]!, /"\[" at position 5 is never closed/);
    assert.match(problems[3]!, /appliesTo.labelSelector/);
    assert.match(problems[4]!, /"\*" is not allowed in an exclude list/);
    assert.match(problems[5]!, /expected a string like "app=web,tier!=db", received 7/);
  });

  test("accepts every name form discovery resolves", () => {
    for (const name of [
      "deploy",
      "Deployment",
      "deployment",
      "deployments",
      "deployments.apps",
      "deployments.v1.apps",
    ]) {
      const set = resolveActions([act("example.io/a", { resources: [name] })], discovery);
      assert.equal(set.forItem({ groupResource: "deployments.apps", namespace: "shop" }).length, 1, name);
      assert.equal(set.forItem({ groupResource: "pods", namespace: "shop" }).length, 0, name);
    }
  });
});

describe("selector matching", () => {
  const discovery = fakeDiscovery();
  const cases: Array<{
    why: string;
    selector: ResourceSelector;
    groupResource: string;
    namespace?: string;
    labels?: Record<string, string>;
    applies: boolean;
    reason?: string;
  }> = [
    {
      why: "empty selector, namespaced",
      selector: {},
      groupResource: "pods",
      namespace: "shop",
      applies: true,
    },
    {
      why: "empty selector, cluster-scoped",
      selector: {},
      groupResource: "persistentvolumes",
      applies: true,
    },
    {
      why: "included namespace",
      selector: { namespaces: ["shop"] },
      groupResource: "pods",
      namespace: "shop",
      applies: true,
    },
    {
      why: "other namespace",
      selector: { namespaces: ["shop"] },
      groupResource: "pods",
      namespace: "web",
      applies: false,
      reason: "namespace",
    },
    {
      why: "namespaces filter and a cluster-scoped item",
      selector: { namespaces: ["shop"] },
      groupResource: "persistentvolumes",
      applies: false,
      reason: "cluster-scoped",
    },
    {
      why: '"" namespace is cluster-scoped',
      selector: { namespaces: ["shop"] },
      groupResource: "persistentvolumes",
      namespace: "",
      applies: false,
      reason: "cluster-scoped",
    },
    {
      why: '["*"] is everything',
      selector: { namespaces: ["*"] },
      groupResource: "persistentvolumes",
      applies: true,
    },
    {
      why: '["*", "x"] is not everything for cluster-scoped',
      selector: { namespaces: ["*", "x"] },
      groupResource: "persistentvolumes",
      applies: false,
      reason: "cluster-scoped",
    },
    {
      why: '["*", "x"] matches any namespace',
      selector: { namespaces: ["*", "x"] },
      groupResource: "pods",
      namespace: "web",
      applies: true,
    },
    {
      why: "excludes only: cluster-scoped skipped (Velero)",
      selector: { excludedNamespaces: ["kube-*"] },
      groupResource: "clusterroles.rbac.authorization.k8s.io",
      applies: false,
      reason: "cluster-scoped",
    },
    {
      why: "excluded glob",
      selector: { excludedNamespaces: ["kube-*"] },
      groupResource: "pods",
      namespace: "kube-system",
      applies: false,
      reason: "namespace",
    },
    {
      why: "not excluded",
      selector: { excludedNamespaces: ["kube-*"] },
      groupResource: "pods",
      namespace: "shop",
      applies: true,
    },
    {
      why: "exclude wins over include",
      selector: { namespaces: ["shop*"], excludedNamespaces: ["shop-test"] },
      groupResource: "pods",
      namespace: "shop-test",
      applies: false,
      reason: "namespace",
    },
    {
      why: "brace glob",
      selector: { namespaces: ["shop-{eu,us}"] },
      groupResource: "pods",
      namespace: "shop-us",
      applies: true,
    },
    {
      why: "brace glob miss",
      selector: { namespaces: ["shop-{eu,us}"] },
      groupResource: "pods",
      namespace: "shop-ap",
      applies: false,
      reason: "namespace",
    },
    {
      why: "? glob",
      selector: { namespaces: ["te?t"] },
      groupResource: "pods",
      namespace: "test",
      applies: true,
    },
    {
      why: "negated class",
      selector: { namespaces: ["[!x]yz"] },
      groupResource: "pods",
      namespace: "xyz",
      applies: false,
      reason: "namespace",
    },
    {
      why: "class range",
      selector: { namespaces: ["ns-[0-9]"] },
      groupResource: "pods",
      namespace: "ns-7",
      applies: true,
    },
    {
      why: "dots are literal",
      selector: { namespaces: ["a.b"] },
      groupResource: "pods",
      namespace: "axb",
      applies: false,
      reason: "namespace",
    },
    {
      why: "resource included",
      selector: { resources: ["pods"] },
      groupResource: "pods",
      namespace: "shop",
      applies: true,
    },
    {
      why: "resource not included",
      selector: { resources: ["pods"] },
      groupResource: "deployments.apps",
      namespace: "shop",
      applies: false,
      reason: "resource",
    },
    {
      why: "resource excluded",
      selector: { excludedResources: ["secrets"] },
      groupResource: "secrets",
      namespace: "shop",
      applies: false,
      reason: "resource",
    },
    {
      why: '"*" resources',
      selector: { resources: ["*"], excludedResources: ["cm"] },
      groupResource: "secrets",
      namespace: "shop",
      applies: true,
    },
    {
      why: "short name excluded",
      selector: { resources: ["*"], excludedResources: ["cm"] },
      groupResource: "configmaps",
      namespace: "shop",
      applies: false,
      reason: "resource",
    },
    {
      why: "label selector matches",
      selector: { labelSelector: "app=web,tier!=db" },
      groupResource: "pods",
      namespace: "shop",
      labels: { app: "web", tier: "fe" },
      applies: true,
    },
    {
      why: "label selector fails",
      selector: { labelSelector: "app=web,tier!=db" },
      groupResource: "pods",
      namespace: "shop",
      labels: { app: "web", tier: "db" },
      applies: false,
      reason: "labels",
    },
    {
      why: "label selector, no labels",
      selector: { labelSelector: "app" },
      groupResource: "pods",
      namespace: "shop",
      applies: false,
      reason: "labels",
    },
    {
      why: "label selector on a cluster-scoped item",
      selector: { labelSelector: "!managed" },
      groupResource: "persistentvolumes",
      labels: {},
      applies: true,
    },
  ];
  for (const c of cases) {
    test(c.why, () => {
      const set = resolveActions([act("example.io/a", c.selector)], discovery);
      const item = { groupResource: c.groupResource, namespace: c.namespace, labels: c.labels };
      assert.equal(set.forItem(item).length, c.applies ? 1 : 0);
      const reasons = set.skipReasons(item);
      if (c.applies) assert.deepEqual(reasons, []);
      else {
        assert.equal(reasons.length, 1);
        assert.equal(reasons[0]!.reason, c.reason);
        assert.equal(reasons[0]!.action, "example.io/a");
      }
    });
  }

  test("skip reasons say why in words", () => {
    const set = resolveActions(
      [
        act("example.io/pods", { resources: ["pods"] }),
        act("example.io/shop", { namespaces: ["shop"] }),
        act("example.io/web", { labelSelector: "app=web" }),
      ],
      discovery,
    );
    assert.deepEqual(
      set.skipReasons({ groupResource: "persistentvolumes", labels: { app: "db" } }).map((r) => r.message),
      [
        "action example.io/pods does not apply to resource persistentvolumes",
        "action example.io/shop only applies to specific namespaces and persistentvolumes is cluster-scoped",
        'action example.io/web: label selector "app=web" does not match the item\'s labels',
      ],
    );
  });
});

describe("forItem", () => {
  test("returns applicable actions in registration order", () => {
    const names = ["velero.io/pod", "velero.io/pv", "example.io/z", "example.io/a"];
    const set = resolveActions(
      names.map((n) => act(n)),
      fakeDiscovery(),
    );
    assert.deepEqual(
      set.forItem({ groupResource: "pods", namespace: "shop" }).map((a) => a.name),
      names,
    );
    assert.deepEqual(
      set.actions.map((a) => a.name),
      names,
    );
  });

  test("resolves names through discovery once, not per item", () => {
    const base = fakeDiscovery();
    let calls = 0;
    const counting: Discovery = {
      ...base,
      find: (name) => {
        calls++;
        return base.find(name);
      },
      resolve: (name) => {
        calls++;
        return base.resolve(name);
      },
    };
    const set = resolveActions([act("example.io/a", { resources: ["pods", "deploy"] })], counting);
    const after = calls;
    for (let i = 0; i < 1000; i++)
      set.forItem({ groupResource: i % 2 ? "pods" : "secrets", namespace: `ns-${i % 7}` });
    assert.equal(calls, after);
  });

  test("memoizes per (groupResource, namespace) yet evaluates labels per item", () => {
    const set = resolveActions(
      [
        act("example.io/all"),
        act("example.io/web", { labelSelector: "app=web" }),
        act("example.io/shop", { namespaces: ["shop"] }),
      ],
      fakeDiscovery(),
    );
    const names = (labels: Record<string, string>, namespace = "shop") =>
      set.forItem({ groupResource: "pods", namespace, labels }).map((a) => a.name);
    assert.deepEqual(names({ app: "web" }), ["example.io/all", "example.io/web", "example.io/shop"]);
    assert.deepEqual(names({ app: "db" }), ["example.io/all", "example.io/shop"]);
    assert.deepEqual(names({ app: "web" }), ["example.io/all", "example.io/web", "example.io/shop"]);
    assert.deepEqual(names({ app: "web" }, "other"), ["example.io/all", "example.io/web"]);
    assert.deepEqual(names({}, "other"), ["example.io/all"]);
    assert.deepEqual(
      set.forItem({ groupResource: "persistentvolumes", labels: { app: "web" } }).map((a) => a.name),
      ["example.io/all", "example.io/web"],
    );
  });

  test("shares one frozen array per (groupResource, namespace) when no selector looks at labels", () => {
    const set = resolveActions([act("example.io/a", { resources: ["pods"] })], fakeDiscovery());
    const first = set.forItem({ groupResource: "pods", namespace: "shop", labels: { a: "1" } });
    const second = set.forItem({ groupResource: "pods", namespace: "shop", labels: { b: "2" } });
    assert.equal(first, second);
    assert.ok(Object.isFrozen(first));
    assert.equal(set.forItem({ groupResource: "secrets", namespace: "shop" }).length, 0);
  });

  test("an empty action list applies nothing", () => {
    const set = resolveActions([], fakeDiscovery());
    assert.deepEqual(set.forItem({ groupResource: "pods", namespace: "x" }), []);
    assert.deepEqual(set.skipReasons({ groupResource: "pods", namespace: "x" }), []);
  });
});
