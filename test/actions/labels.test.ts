import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseLabelSelector } from "../../lib/actions/labels.ts";
import { compileGlob } from "../../lib/filters/index.ts";

describe("label selectors", () => {
  const cases: Array<[selector: string, labels: Record<string, string>, matches: boolean]> = [
    ["", {}, true],
    ["   ", { a: "b" }, true],
    ["app", { app: "" }, true],
    ["app", {}, false],
    ["!app", {}, true],
    ["!app", { app: "x" }, false],
    ["app=web", { app: "web" }, true],
    ["app==web", { app: "web" }, true],
    ["app = web", { app: "web" }, true],
    ["app=web", { app: "db" }, false],
    ["app=web", {}, false],
    ["app!=web", {}, true],
    ["app!=web", { app: "db" }, true],
    ["app!=web", { app: "web" }, false],
    ["app=", { app: "" }, true],
    ["app=", { app: "x" }, false],
    ["tier in (fe, be)", { tier: "be" }, true],
    ["tier in (fe,be)", { tier: "db" }, false],
    ["tier in (fe,be)", {}, false],
    ["tier notin (fe,be)", {}, true],
    ["tier notin (fe,be)", { tier: "fe" }, false],
    ["app=web,tier in (fe),!legacy", { app: "web", tier: "fe" }, true],
    ["app=web,tier in (fe),!legacy", { app: "web", tier: "fe", legacy: "1" }, false],
    ["example.com/team=core", { "example.com/team": "core" }, true],
    [
      "kube-aggregator.kubernetes.io/automanaged",
      { "kube-aggregator.kubernetes.io/automanaged": "onstart" },
      true,
    ],
  ];
  for (const [selector, labels, matches] of cases) {
    test(`${JSON.stringify(selector)} on ${JSON.stringify(labels)} → ${matches}`, () =>
      assert.equal(parseLabelSelector(selector).matches(labels), matches));
  }

  // the exact wording belongs to lib/filters (tested there); here: every bad selector is refused,
  // quoting itself, including > and < which a LabelSelector object cannot express
  const invalid = [
    "app in (a",
    "app in a",
    "app=web,",
    ",app",
    "app web",
    "app>x",
    "replicas>2",
    "-bad=1",
    "Bad_Prefix/x=1",
    "app=has/slash",
    "!app=web",
    "app=a=b",
  ];
  for (const selector of invalid) {
    test(`rejects ${JSON.stringify(selector)}`, () =>
      assert.throws(
        () => parseLabelSelector(selector),
        (e: Error) => e.name === "ValidationError" && e.message.includes(selector),
      ));
  }
});

describe("namespace globs", () => {
  const cases: Array<[pattern: string, text: string, matches: boolean]> = [
    ["shop", "shop", true],
    ["shop", "shop2", false],
    ["shop*", "shop-eu", true],
    ["*", "", true],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["[abc]x", "bx", true],
    ["[!abc]x", "bx", false],
    ["[a-c]x", "cx", true],
    ["{eu,us}-shop", "us-shop", true],
    ["{eu,us}-shop", "ap-shop", false],
    ["a.b", "a.b", true],
    ["a.b", "aXb", false],
    ["a\\*", "a*", true],
    ["a\\*", "ab", false],
    ["(x)|y", "(x)|y", true],
  ];
  for (const [pattern, text, matches] of cases) {
    test(`${pattern} vs ${JSON.stringify(text)}`, () =>
      assert.equal(compileGlob(pattern).test(text), matches));
  }
});
