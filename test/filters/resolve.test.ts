import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import { resolveBackupFilters, resolveRestoreFilters } from "../../lib/filters/index.ts";
import { fakeDiscovery, resourceOf } from "./fixtures.ts";

const discovery = fakeDiscovery();

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  assert.fail("expected a ValidationError");
};

describe("resolveBackupFilters", () => {
  test("a valid spec resolves every filter", () => {
    const filters = resolveBackupFilters(discovery, {
      includedNamespaces: ["shop-*"],
      excludedNamespaces: ["shop-dev"],
      includedNamespaceScopedResources: ["deploy", "po", "pvc"],
      orLabelSelectors: ["app=web", "tier in (db)"],
    });
    assert.equal(filters.namespaces.shouldInclude("shop-prod"), true);
    assert.equal(filters.namespaces.shouldInclude("shop-dev"), false);
    assert.equal(filters.resources.style, "new");
    assert.equal(
      filters.resources.includeResource(resourceOf(discovery, "pods"), { viaAction: false }).include,
      true,
    );
    assert.equal(
      filters.resources.includeResource(resourceOf(discovery, "persistentvolumes"), { viaAction: true })
        .include,
      true,
    );
    assert.deepEqual(filters.labels.queries, ["app=web", "tier in (db)"]);
    assert.deepEqual(filters.warnings, []);
  });

  test("invalid combinations: one ValidationError listing ALL problems", () => {
    const problems = problemsOf(() =>
      resolveBackupFilters(discovery, {
        includedNamespaces: ["shop", "*"],
        excludedNamespaces: ["*"],
        includedResources: ["pods"],
        excludedResources: ["*", "po"],
        includedNamespaceScopedResources: ["deploy"],
        labelSelector: "app=web",
        orLabelSelectors: ["tier in x"],
      }),
    );
    const expected = [
      /^includedNamespaces: expected "\*" alone/,
      /^excludedNamespaces: "\*" is not allowed/,
      /^old and new resource filters cannot be mixed: received includedResources, excludedResources \(old\) with includedNamespaceScopedResources \(new\)/,
      /^excludedResources: "\*" is not allowed/,
      /^pods is in both includedResources and excludedResources \(as "pods" \/ "po"\)/,
      /^labelSelector and orLabelSelectors are mutually exclusive/,
      /^orLabelSelectors\[0\] "tier in x": expected "\("/,
    ];
    assert.equal(problems.length, expected.length, problems.join("\n"));
    expected.forEach((re, i) => {
      assert.match(problems[i]!, re);
    });
  });

  test("the error message names the subject and lists the problems", () => {
    try {
      resolveBackupFilters(discovery, { excludedNamespaces: ["*"], labelSelector: "a b" });
      assert.fail("expected a ValidationError");
    } catch (error) {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.code, "ERR_VALIDATION");
      assert.match(error.message, /^invalid backup spec:\n {2}- excludedNamespaces/);
    }
  });

  test("warnings are collected, not thrown", () => {
    const filters = resolveBackupFilters(discovery, { includedResources: ["widgets", "pods"] });
    assert.equal(filters.warnings.length, 1);
    assert.match(filters.warnings[0]!, /"widgets" is not served/);
  });
});

describe("resolveRestoreFilters", () => {
  test("never-restored includes, namespace and selector problems together", () => {
    const problems = problemsOf(() =>
      resolveRestoreFilters(discovery, {
        excludedNamespaces: ["*"],
        includedResources: ["nodes", "ev", "pods"],
        labelSelector: { matchLabels: { app: "web" } },
        orLabelSelectors: [{ matchLabels: { tier: "db" } }],
      }),
    );
    const expected = [
      /^excludedNamespaces: "\*" is not allowed/,
      /^includedResources: nodes is never restored/,
      /^includedResources: events \("ev"\) is never restored/,
      /^labelSelector and orLabelSelectors are mutually exclusive/,
    ];
    assert.equal(problems.length, expected.length, problems.join("\n"));
    expected.forEach((re, i) => {
      assert.match(problems[i]!, re);
    });
  });

  test("a valid restore spec uses the old filters and excludes never-restored resources", () => {
    const filters = resolveRestoreFilters(discovery, {
      includedNamespaces: ["shop"],
      excludedResources: ["secrets"],
    });
    assert.equal(filters.resources.style, "old");
    assert.equal(filters.resources.purpose, "restore");
    const decide = (gr: string, viaAction = false) =>
      filters.resources.includeResource(resourceOf(discovery, gr), { viaAction }).include;
    assert.deepEqual(
      [
        decide("pods"),
        decide("secrets"),
        decide("events"),
        decide("persistentvolumes"),
        decide("persistentvolumes", true),
      ],
      [true, false, false, false, true],
    );
  });
});
