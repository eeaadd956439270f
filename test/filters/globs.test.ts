import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import { compileGlob, createNamespaceFilter, GlobSyntaxError, isGlob } from "../../lib/filters/index.ts";

describe("compileGlob (gobwas dialect)", () => {
  // pattern, matches, does not match
  const table: [string, string[], string[]][] = [
    ["*", ["", "a", "shop-prod", "kube-system"], []],
    ["shop-*", ["shop-", "shop-prod", "shop-a-b"], ["shop", "myshop-prod", "Shop-prod"]],
    ["*-prod", ["shop-prod", "-prod"], ["shop-prod2", "prod"]],
    ["shop-?", ["shop-a", "shop-1"], ["shop-", "shop-ab"]],
    ["??", ["ab", "12"], ["a", "abc"]],
    ["[ab]*", ["a", "apps", "billing"], ["cart", ""]],
    ["[a-c]x", ["ax", "bx", "cx"], ["dx", "x"]],
    ["[!a-c]x", ["dx", "zx"], ["ax", "cx", "x"]],
    ["{shop,cart}", ["shop", "cart"], ["shopcart", "sho", "{shop,cart}"]],
    ["{shop,cart}-*", ["shop-1", "cart-"], ["billing-1"]],
    ["team-{a,b*}", ["team-a", "team-b", "team-bee"], ["team-c", "team-ab"]],
    ["{a,{b,c}}", ["a", "b", "c"], ["d"]],
    ["a**b", ["ab", "axyzb"], ["a"]],
    ["a\\*b", ["a*b"], ["axb"]],
    ["kube-system", ["kube-system"], ["kube-systems", "kube"]],
    ["a.b", ["a.b"], ["axb"]],
  ];
  for (const [pattern, yes, no] of table)
    test(`"${pattern}"`, () => {
      const re = compileGlob(pattern);
      for (const s of yes) assert.ok(re.test(s), `"${pattern}" should match "${s}"`);
      for (const s of no) assert.ok(!re.test(s), `"${pattern}" should not match "${s}"`);
    });

  test("syntax errors say what is wrong and where", () => {
    const bad: [string, RegExp][] = [
      ["shop-[ab", /"\[" at position 5 is never closed/],
      ["{a,b", /"\{" at position 0 is never closed/],
      ["a]", /unexpected "\]" at position 1/],
      ["[]", /empty/],
      ["[z-a]", /runs backwards/],
      ["a\\", /lone backslash/],
    ];
    for (const [pattern, message] of bad)
      assert.throws(
        () => compileGlob(pattern),
        (e: unknown) => e instanceof GlobSyntaxError && message.test(e.message),
      );
  });

  test("isGlob tells patterns from plain names", () => {
    assert.deepEqual(["shop", "shop-*", "a?", "[ab]", "{a,b}", "kube-system"].map(isGlob), [
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe("createNamespaceFilter", () => {
  // includes, excludes, namespace → shouldInclude
  const table: [string[] | undefined, string[] | undefined, string, boolean][] = [
    [undefined, undefined, "anything", true],
    [[], [], "anything", true],
    [["*"], [], "kube-system", true],
    [["*"], ["kube-*"], "kube-system", false],
    [["*"], ["kube-*"], "shop", true],
    [["shop-*"], [], "shop-prod", true],
    [["shop-*"], [], "shop", false],
    [["shop-*"], ["shop-dev"], "shop-dev", false],
    [["shop-*"], ["*-dev"], "shop-dev", false],
    [["shop-*"], ["*-dev"], "shop-prod", true],
    [["shop-?"], [], "shop-a", true],
    [["shop-?"], [], "shop-ab", false],
    [["[ab]*"], [], "billing", true],
    [["[ab]*"], [], "cart", false],
    [["{cart,billing}"], [], "cart", true],
    [["{cart,billing}"], [], "shop", false],
    [["shop", "cart"], [], "cart", true],
    [["shop", "cart"], [], "billing", false],
    [[], ["default"], "default", false],
    [[], ["default"], "shop", true],
    [["shop-*"], ["shop-[a-c]*"], "shop-b1", false],
    [["shop-*"], ["shop-[a-c]*"], "shop-d1", true],
  ];
  for (const [included, excluded, ns, expected] of table)
    test(`include ${JSON.stringify(included)} exclude ${JSON.stringify(excluded)}: ${ns} → ${expected}`, () => {
      const filter = createNamespaceFilter({ included, excluded });
      assert.equal(filter.shouldInclude(ns), expected);
    });

  test("isEverything / includesAll / normalised lists", () => {
    const cases: [string[] | undefined, string[] | undefined, boolean, boolean, string[]][] = [
      [undefined, undefined, true, true, ["*"]],
      [[], [], true, true, ["*"]],
      [["*"], [], true, true, ["*"]],
      [["*", "*"], [], true, true, ["*"]],
      [["*"], ["kube-system"], false, true, ["*"]],
      [["shop"], [], false, false, ["shop"]],
      [["shop-*"], [], false, false, ["shop-*"]],
    ];
    for (const [included, excluded, everything, all, normalised] of cases) {
      const f = createNamespaceFilter({ included, excluded });
      assert.equal(f.isEverything(), everything, `${JSON.stringify([included, excluded])} everything`);
      assert.equal(f.includesAll(), all, `${JSON.stringify([included, excluded])} includesAll`);
      assert.deepEqual(f.included, normalised);
    }
  });

  test("expand lists matching live namespaces and reports missing named includes", () => {
    const live = ["default", "kube-system", "shop-prod", "shop-dev", "cart"];
    const cases: [string[], string[], string[], string[]][] = [
      [["*"], [], live, []],
      [["*"], ["kube-*", "default"], ["shop-prod", "shop-dev", "cart"], []],
      [["shop-*", "cart"], ["shop-dev"], ["shop-prod", "cart"], []],
      [["shop-*", "billing", "cart"], [], ["shop-prod", "shop-dev", "cart"], ["billing"]],
      // globs that match nothing are not "missing"; only plain names are
      [["nothing-*", "gone"], [], [], ["gone"]],
    ];
    for (const [included, excluded, namespaces, missing] of cases) {
      const result = createNamespaceFilter({ included, excluded }).expand(live);
      assert.deepEqual(result, { namespaces, missing }, JSON.stringify([included, excluded]));
    }
  });

  test("invalid lists: one ValidationError listing every problem", () => {
    const error = (() => {
      try {
        createNamespaceFilter({
          included: ["*", "shop", "Bad_Name", "x-[ab", "dup"],
          excluded: ["*", "dup", "-lead"],
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationError);
    const problems = error.problems.join("\n");
    assert.equal(error.problems.length, 6, problems);
    assert.match(problems, /includedNamespaces: expected "\*" alone/);
    assert.match(problems, /excludedNamespaces: "\*" is not allowed/);
    assert.match(problems, /"dup" is in both includedNamespaces and excludedNamespaces/);
    assert.match(problems, /includedNamespaces: "Bad_Name" is not a valid namespace/);
    assert.match(
      problems,
      /includedNamespaces: "x-\[ab" is not a valid glob: the "\[" at position 2 is never closed/,
    );
    assert.match(problems, /excludedNamespaces: "-lead" is not a valid namespace name/);
  });

  test("valid edge cases do not throw", () => {
    for (const options of [
      { included: [""] },
      { included: ["a".repeat(63)] },
      { included: ["shop-{a,b}", "[!x]*"] },
      { excluded: ["kube-*"] },
    ])
      assert.doesNotThrow(() => createNamespaceFilter(options), JSON.stringify(options));
    assert.throws(() => createNamespaceFilter({ included: ["a".repeat(64)] }), ValidationError);
  });
});
