// The writer's fast paths against independent references: item JSON (`JSON.stringify` of a key-sorted
// view plus Go's escapes) against a plain recursive Go-rules encoder written here, and the hand-made tar
// headers against tar-stream's packer, byte for byte.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import tar from "tar-stream";
import { compareGoStrings, encodeItemJson, quoteGoString } from "../../lib/format/json.ts";
import { TAR_END, tarHeader, tarPadding } from "../../lib/format/tar-entry.ts";

/** Go's json.Marshal rules, the slow obvious way (quoteGoString is checked against Go in json.test.ts). */
const reference = (value: unknown): string => {
  if (value === null) return "null";
  if (typeof value === "string") return quoteGoString(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : reference(v))).join(",")}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort(compareGoStrings)
    .map((k) => `${quoteGoString(k)}:${reference(record[k])}`)
    .join(",")}}`;
};

const nested = (depth: number): unknown => {
  let value: unknown = { z: 1, a: "<deep>" };
  for (let i = 0; i < depth; i++) value = { b: [value], a: i };
  return value;
};

describe("item JSON fast path", () => {
  const cases: Record<string, unknown> = {
    "unsorted keys, sorted maps": { spec: { z: 1, a: 2 }, data: { a: "1", b: "2" }, kind: "ConfigMap" },
    "html and separators in keys and values": { "<k>&": "a<b>&c\u2028d\u2029", x: ["<", ">", "&"] },
    "lone surrogates in values and keys": { s: "x\ud800y\udc00😀\ud83d", "k\udfff": 1, "\ue000": 2, "😀": 3 },
    "paired surrogates only in keys, sorted among U+E000–U+FFFF": {
      "\uffff": 1,
      "😀": 2,
      "\ue000": 3,
      a: "x",
    },
    "a surrogate pair only in values": { b: "😀", a: ["x😀y"], c: { z: 1, a: "😀" } },
    "keys starting with a digit that are not array indices": {
      "1a": 1,
      "01": 2,
      "4294967295": 3,
      "9": 4,
      _: 5,
    },
    "an escaped backslash before ud800 text": { s: "\\ud800 and \\\\ud800 and \\", t: "\\u003c" },
    "controls and quotes": { s: '\u0000\u001f\b\f\n\r\t"\\/\u007f' },
    "integer-like keys (JavaScript orders them first)": {
      b: { 10: "x", 9: "y", 1: "z", a: { 2: 1, 11: 2 } },
    },
    "__proto__ as an own key": JSON.parse('{"b":1,"__proto__":{"x":1},"a":2}'),
    "bigint, floats, exponents": { big: 12345678901234567890n, f: 1.5, e: 1e21, small: 1e-7, neg: -0.5 },
    "undefined members and elements": { a: undefined, b: [undefined, 1, null], c: null },
    "deep nesting (handed to the careful encoder)": nested(300),
    "empty things": { a: {}, b: [], c: "" },
  };
  for (const [name, value] of Object.entries(cases)) {
    test(name, () => {
      assert.equal(encodeItemJson(value).toString("utf8"), reference(value));
    });
  }

  test("the input keeps its own key order and values (the fast path sorts a view, not the object)", () => {
    const item = { spec: { z: 1, a: [{ y: 1, b: 2 }] }, kind: "X", data: { a: "1" } };
    const before = JSON.stringify(item);
    encodeItemJson(item);
    assert.equal(JSON.stringify(item), before);
  });

  test("what Go refuses is still refused with its path", () => {
    assert.throws(
      () => encodeItemJson({ a: [{ n: Number.POSITIVE_INFINITY }] }),
      /\(item\)\.a\[0\]\.n is Infinity/,
    );
    assert.throws(() => encodeItemJson({ a: { f: Symbol("s") } }), /\.a\.f is a symbol/);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic["self"] = { back: cyclic };
    assert.throws(() => encodeItemJson(cyclic), /cycle/);
  });
});

/** What tar-stream's packer writes for one regular file with the writer's header fields. */
const packed = async (name: string, data: Buffer, mtime: Date): Promise<Buffer> => {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  pack.entry({ name, size: data.length, mode: 0o755, type: "file", mtime }, data);
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
};

describe("tar entries", () => {
  const mtime = new Date("2026-11-22T03:31:00Z");
  const names = {
    short: "resources/pods/namespaces/shop/a.json",
    "over 100 bytes (prefix split)": `resources/configmaps/namespaces/${"n".repeat(60)}/${"x".repeat(90)}.json`,
    "over 255 bytes (PAX)": `resources/configmaps/namespaces/ns/${"y".repeat(253)}.json`,
    "a name segment over 100 bytes (PAX)": `resources/a/${"z".repeat(120)}.json`,
    "not ASCII (PAX)": "resources/widgets.bench.stowage.io/namespaces/ns/é-ü.json",
  };
  for (const [what, name] of Object.entries(names)) {
    for (const size of [0, 1, 511, 512, 513]) {
      test(`${what}, ${size} bytes: the same bytes as tar-stream`, async () => {
        const data = Buffer.alloc(size, 0x61);
        const ours = Buffer.concat([...tarHeader(name, size, mtime), data, tarPadding(size), TAR_END]);
        assert.ok(ours.equals(await packed(name, data, mtime)));
      });
    }
  }
});
