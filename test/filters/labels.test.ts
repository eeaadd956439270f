import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValidationError } from "../../lib/errors.ts";
import {
  checkLabelSelection,
  compileLabelSelector,
  createLabelSelection,
  formatLabelSelector,
  type LabelSelectorLike,
  matchesLabels,
  parseLabelSelector,
} from "../../lib/filters/index.ts";

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return [...error.problems];
    throw error;
  }
  assert.fail("expected a ValidationError");
};

describe("parseLabelSelector: string syntax → LabelSelector object", () => {
  const table: [string, LabelSelectorLike][] = [
    ["", {}],
    ["   ", {}],
    ["app=web", { matchLabels: { app: "web" } }],
    ["app==web", { matchLabels: { app: "web" } }],
    [" app = web ", { matchLabels: { app: "web" } }],
    ["app=", { matchLabels: { app: "" } }],
    ["app!=web", { matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] }],
    ["tier in (a,b)", { matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }],
    ["tier in ( a , b )", { matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }] }],
    ["tier notin (x)", { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["x"] }] }],
    ["tier in (a,)", { matchExpressions: [{ key: "tier", operator: "In", values: ["a", ""] }] }],
    ["legacy", { matchExpressions: [{ key: "legacy", operator: "Exists" }] }],
    ["!legacy", { matchExpressions: [{ key: "legacy", operator: "DoesNotExist" }] }],
    ["! legacy", { matchExpressions: [{ key: "legacy", operator: "DoesNotExist" }] }],
    [
      "app=web,tier in (a,b),!legacy,owner,env!=dev",
      {
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "legacy", operator: "DoesNotExist" },
          { key: "owner", operator: "Exists" },
          { key: "env", operator: "NotIn", values: ["dev"] },
        ],
      },
    ],
    ["example.com/team=a_b.c-d", { matchLabels: { "example.com/team": "a_b.c-d" } }],
    // two different values for one key cannot both live in matchLabels
    ["a=x,a=y", { matchLabels: { a: "x" }, matchExpressions: [{ key: "a", operator: "In", values: ["y"] }] }],
  ];
  for (const [text, expected] of table)
    test(JSON.stringify(text), () => {
      assert.deepEqual(parseLabelSelector(text), expected);
    });
});

describe("label selector parse errors point at the bad token", () => {
  const table: [string, RegExp][] = [
    ["app=web,", /expected another requirement after the trailing ",", found the end of the selector/],
    [",app", /expected a label key or !key, found "," at character 1/],
    ["app in x", /expected "\(" after "in" \(write app in \(a,b\)\), found "x" at character 8/],
    ["app in (a", /expected "," or "\)", found the end of the selector/],
    ["app in (a b)", /expected "," or "\)", found "b" at character 11/],
    ["app in ()", /"app in \(\)" at character 5 has no values/],
    ["app notin ()", /has no values/],
    [
      "app web",
      /expected an operator \(=, ==, !=, in, notin\) or "," after key "app", found "web" at character 5/,
    ],
    ["app=web=x", /expected "," or the end of the selector, found "=" at character 8/],
    ["app=(x)", /expected a value after "=", found "\(" at character 5/],
    ["!", /expected a label key after "!", found the end of the selector/],
    ["!app=x", /expected "," or the end of the selector, found "=" at character 5/],
    ["a>1", /">" at character 2 is not supported/],
    ["a<1", /"<" at character 2 is not supported/],
    ["-bad=x", /key "-bad" is not a valid label key/],
    ["app=-bad", /value "-bad" of key "app" is not a valid label value/],
    [`app=${"v".repeat(64)}`, /is not a valid label value/],
    ["Bad.Prefix/app=x", /key "Bad.Prefix\/app" has an invalid prefix/],
    ["/app=x", /has an invalid prefix/],
  ];
  for (const [text, message] of table)
    test(JSON.stringify(text), () => {
      const problems = problemsOf(() => parseLabelSelector(text));
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0]!, message);
      assert.ok(problems[0]!.startsWith(`labelSelector ${JSON.stringify(text)}: `), problems[0]);
    });
});

describe("formatLabelSelector: object → the API's labelSelector query (Kubernetes canonical form)", () => {
  const table: [LabelSelectorLike, string][] = [
    [{}, ""],
    [{ matchLabels: { app: "web" } }, "app=web"],
    [{ matchLabels: { b: "2", a: "1" } }, "a=1,b=2"],
    [{ matchExpressions: [{ key: "tier", operator: "In", values: ["b", "a"] }] }, "tier in (a,b)"],
    [{ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["x"] }] }, "tier notin (x)"],
    [{ matchExpressions: [{ key: "x", operator: "Exists" }] }, "x"],
    [{ matchExpressions: [{ key: "x", operator: "DoesNotExist", values: [] }] }, "!x"],
    [
      {
        matchLabels: { app: "web" },
        matchExpressions: [
          { key: "zone", operator: "NotIn", values: ["b", "a"] },
          { key: "legacy", operator: "DoesNotExist" },
        ],
      },
      "app=web,!legacy,zone notin (a,b)",
    ],
  ];
  for (const [selector, expected] of table)
    test(expected || "(empty)", () => {
      assert.equal(formatLabelSelector(selector), expected);
    });

  test("string → object → string is canonical and stable", () => {
    // text, via the object, formatted directly (Kubernetes keeps `!=` in a parsed string)
    const table: [string, string, string][] = [
      ["app==web", "app=web", "app=web"],
      ["app!=web", "app notin (web)", "app!=web"],
      ["z,!a, m in (y,x,y)", "!a,m in (x,y),z", "!a,m in (x,y),z"],
      ["tier notin (b,a),app=web", "app=web,tier notin (a,b)", "app=web,tier notin (a,b)"],
    ];
    for (const [text, canonical, direct] of table) {
      const query = formatLabelSelector(parseLabelSelector(text));
      assert.equal(query, canonical, text);
      assert.equal(formatLabelSelector(parseLabelSelector(query)), query, `${text} is stable`);
      assert.equal(formatLabelSelector(text), direct, `${text} formatted directly`);
    }
  });

  test("object → string → object keeps the meaning", () => {
    const object: LabelSelectorLike = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["a", "b"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    };
    assert.deepEqual(parseLabelSelector(formatLabelSelector(object)), {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "legacy", operator: "DoesNotExist" },
        { key: "tier", operator: "In", values: ["a", "b"] },
      ],
    });
  });

  test("invalid objects: every problem, with its path", () => {
    const problems = problemsOf(() =>
      formatLabelSelector({
        matchLabels: { "bad key": "x" },
        matchExpressions: [
          { key: "a", operator: "In", values: [] },
          { key: "b", operator: "Exists", values: ["x"] },
          { key: "c", operator: "Gt" as never, values: ["1"] },
        ],
      }),
    );
    assert.equal(problems.length, 4, problems.join("\n"));
    assert.match(problems[0]!, /^labelSelector.matchLabels: key "bad key" is not a valid label key/);
    assert.match(problems[1]!, /^labelSelector.matchExpressions\[0\]: operator In needs at least one value/);
    assert.match(problems[2]!, /^labelSelector.matchExpressions\[1\]: operator Exists takes no values/);
    assert.match(
      problems[3]!,
      /^labelSelector.matchExpressions\[2\].operator: expected In, NotIn, Exists or DoesNotExist, received "Gt"/,
    );
  });
});

describe("matchesLabels", () => {
  const labels = { app: "web", tier: "front", "example.com/team": "shop" };
  // selector, matches `labels`
  const table: [string, boolean][] = [
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=api", false],
    ["app!=api", true],
    ["app!=web", false],
    ["missing!=x", true],
    ["tier in (front,back)", true],
    ["tier in (back)", false],
    ["missing in (x)", false],
    ["tier notin (back)", true],
    ["tier notin (front)", false],
    ["missing notin (x)", true],
    ["app", true],
    ["missing", false],
    ["!missing", true],
    ["!app", false],
    ["example.com/team=shop", true],
    ["app=web,tier=front", true],
    ["app=web,tier=back", false],
    ["a=x,a=y", false],
  ];
  for (const [selector, expected] of table)
    test(`${JSON.stringify(selector)} → ${expected}`, () => {
      assert.equal(matchesLabels(selector, labels), expected);
      assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected, "as an object");
      assert.equal(compileLabelSelector(selector).matches(labels), expected, "compiled");
    });

  test("objects without labels", () => {
    for (const labelsOf of [undefined, null, {}]) {
      assert.equal(matchesLabels("!app", labelsOf), true);
      assert.equal(matchesLabels("app", labelsOf), false);
      assert.equal(matchesLabels("app notin (x)", labelsOf), true);
      assert.equal(matchesLabels({}, labelsOf), true);
    }
  });
});

describe("labelSelector / orLabelSelectors", () => {
  test("none: one unfiltered LIST, everything matches", () => {
    for (const options of [{}, { labelSelector: "" }, { orLabelSelectors: [] }, { labelSelector: null }]) {
      const s = createLabelSelection(options);
      assert.deepEqual(s.queries, [""]);
      assert.deepEqual(s.spec, {});
      assert.equal(s.isEverything(), true);
      assert.equal(s.matches(undefined), true);
    }
  });

  test("labelSelector as a string or an object is stored as an object", () => {
    for (const labelSelector of ["app=web", { matchLabels: { app: "web" } }]) {
      const s = createLabelSelection({ labelSelector });
      assert.deepEqual(s.spec, { labelSelector: { matchLabels: { app: "web" } } });
      assert.deepEqual(s.queries, ["app=web"]);
      assert.equal(s.matches({ app: "web" }), true);
      assert.equal(s.matches({ app: "api" }), false);
    }
  });

  test("orLabelSelectors: one LIST per selector, any may match", () => {
    const s = createLabelSelection({
      orLabelSelectors: ["app=web", { matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] }],
    });
    assert.deepEqual(s.queries, ["app=web", "tier in (db)"]);
    assert.deepEqual(s.spec, {
      orLabelSelectors: [
        { matchLabels: { app: "web" } },
        { matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] },
      ],
    });
    assert.equal(s.matches({ app: "web" }), true);
    assert.equal(s.matches({ tier: "db" }), true);
    assert.equal(s.matches({ app: "api", tier: "front" }), false);
  });

  test("both set, plus bad selectors: every problem at once", () => {
    const { problems } = checkLabelSelection({
      labelSelector: "app in x",
      orLabelSelectors: ["ok=1", "bad=", { matchExpressions: [{ key: "k", operator: "NotIn" }] }, "x y"],
    });
    assert.equal(problems.length, 4, problems.join("\n"));
    assert.match(problems[0]!, /labelSelector and orLabelSelectors are mutually exclusive/);
    assert.match(problems[1]!, /^labelSelector "app in x": expected "\("/);
    assert.match(
      problems[2]!,
      /^orLabelSelectors\[2\].matchExpressions\[0\]: operator NotIn needs at least one value/,
    );
    assert.match(problems[3]!, /^orLabelSelectors\[3\] "x y": expected an operator/);
    assert.throws(
      () => createLabelSelection({ labelSelector: "a=b", orLabelSelectors: ["c=d"] }),
      ValidationError,
    );
  });
});
