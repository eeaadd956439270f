import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { createListDecoder } from "../../lib/kube/list-decoder.ts";

/** Feeds `text` in chunks cut at `cuts` (sorted positions) and returns what the decoder made of it. */
const decode = (text: string, cuts: readonly number[]) => {
  const decoder = createListDecoder();
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    decoder.write(text.slice(from, cut));
    from = cut;
  }
  return decoder.end();
};

/** Random cut positions, deterministic per seed. */
const cutsFor = (length: number, count: number, seed: number): number[] => {
  let a = seed;
  const next = () => {
    a = (a * 1103515245 + 12345) % 2 ** 31;
    return a / 2 ** 31;
  };
  return Array.from({ length: count }, () => Math.floor(next() * length)).sort((x, y) => x - y);
};

/** What the decoder must give: JSON.parse's items, and the rest of the list. */
const expected = (text: string) => {
  const { items, ...list } = JSON.parse(text) as { items: unknown[] };
  return { items, list };
};

const hostileItem = (i: number) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: `cm-${i}`,
    namespace: "ns",
    annotations: { note: 'braces } ] { [ and "quotes" and \\ backslashes \\"' },
  },
  data: {
    items: '{"items":[1,2]}',
    escaped: 'tab\there\nnewline \u0000 \u2028 \\\\\\" ünïcödé 🚀',
    key: randomBytes(200).toString("base64"),
    tricky: "ends with a backslash\\",
  },
});

describe("streaming LIST decoder", () => {
  test("matches JSON.parse for typed lists (items last), whatever the chunking", () => {
    const list = {
      kind: "ConfigMapList",
      apiVersion: "v1",
      metadata: { resourceVersion: "123", continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzfQ"\\' },
      items: Array.from({ length: 40 }, (_, i) => hostileItem(i)),
    };
    const text = JSON.stringify(list);
    for (let seed = 1; seed <= 60; seed++) {
      const cuts = cutsFor(text.length, seed % 7 === 0 ? 2000 : seed, seed);
      assert.deepEqual(decode(text, cuts), expected(text), `seed ${seed}`);
    }
    // one character at a time: every boundary case at once
    assert.deepEqual(
      decode(
        text,
        Array.from({ length: text.length - 1 }, (_, i) => i + 1),
      ),
      expected(text),
    );
  });

  test("matches JSON.parse for unstructured lists (keys sorted: items in the middle) and odd shapes", () => {
    const cases = [
      {
        apiVersion: "bench.stowage.io/v1",
        items: [hostileItem(1), hostileItem(2)],
        kind: "WidgetList",
        metadata: { continue: "" },
      },
      { apiVersion: "v1", items: [], kind: "List", metadata: {} },
      { kind: "List", metadata: { items: [{ not: "these" }] }, items: [{ a: { items: [{ b: 1 }] } }] },
      { "a items": "items", itemsx: [{ no: 1 }], items: [{ yes: 1 }, { yes: 2 }] },
    ];
    for (const value of cases) {
      const text = JSON.stringify(value);
      for (let seed = 1; seed <= 20; seed++) {
        assert.deepEqual(decode(text, cutsFor(text.length, seed, seed)), expected(text), text);
      }
    }
    // whitespace as a pretty-printer would leave it
    const pretty = JSON.stringify(cases[0], null, 2);
    assert.deepEqual(decode(pretty, cutsFor(pretty.length, 9, 3)), expected(pretty));
  });

  test("malformed bodies are a SyntaxError, not a silent empty list", () => {
    assert.throws(() => decode('{"items":[{"a":1},{"b":', []), SyntaxError);
    assert.throws(() => decode("<html>502 Bad Gateway</html>", []), SyntaxError);
    assert.throws(() => decode("[1,2]", []), SyntaxError);
  });
});
