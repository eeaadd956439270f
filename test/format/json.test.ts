import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { FormatError } from "../../lib/errors.ts";
import { compareGoStrings, encodeItemJson, parseItemJson, quoteGoString } from "../../lib/format/json.ts";
import { parseItemPath } from "../../lib/format/paths.ts";
import { FIXTURE_BACKUPS, fixtureTarball, readTarGz } from "./support.ts";

interface Golden {
  go: string;
  cases: { in: string; out: string }[];
}
const golden = JSON.parse(
  readFileSync(new URL("../fixtures/format/go-json-golden.json", import.meta.url), "utf8"),
) as Golden;

describe("item JSON (Go's json.Marshal)", () => {
  test(`matches golden output of Go (${golden.go}) for every case, in exact-integer mode`, () => {
    assert.ok(golden.cases.length >= 10);
    for (const c of golden.cases) {
      if (c.out === "") {
        // Go refuses the value (1e400 → +Inf): so do we.
        assert.throws(() => encodeItemJson(parseItemJson(c.in, { exactIntegers: true })), FormatError, c.in);
        continue;
      }
      const encoded = encodeItemJson(parseItemJson(c.in, { exactIntegers: true })).toString("utf8");
      assert.equal(encoded, c.out, c.in);
    }
  });

  test("plain JSON.parse mode matches too, except integers beyond 2^53", () => {
    for (const c of golden.cases) {
      if (c.out === "" || c.in.includes('"int64"')) continue;
      assert.equal(encodeItemJson(JSON.parse(c.in)).toString("utf8"), c.out, c.in);
    }
  });

  test("exactIntegers keeps int64 as bigint, leaves safe integers and floats as numbers", () => {
    const parsed = parseItemJson('{"a":9007199254740993,"b":1,"c":1.5,"d":12345678901234567890}', {
      exactIntegers: true,
    }) as Record<string, unknown>;
    assert.equal(parsed["a"], 9007199254740993n);
    assert.equal(parsed["b"], 1);
    assert.equal(parsed["c"], 1.5);
    assert.equal(typeof parsed["d"], "number"); // beyond int64: float64, as Kubernetes decodes it
  });

  test("Go escaping of HTML characters, separators, controls and lone surrogates", () => {
    assert.equal(quoteGoString("a<b>&c"), '"a\\u003cb\\u003e\\u0026c"');
    assert.equal(quoteGoString("\u2028\u2029"), '"\\u2028\\u2029"');
    assert.equal(quoteGoString("\b\f\n\r\t\u0000\u001f\u007f"), '"\\b\\f\\n\\r\\t\\u0000\\u001f\u007f"');
    assert.equal(quoteGoString('"\\/'), '"\\"\\\\/"');
    assert.equal(quoteGoString("x\ud800y"), '"x\\ufffdy"');
    assert.equal(quoteGoString("x\udc00"), '"x\\ufffd"');
    assert.equal(quoteGoString("😀\ud83d"), '"😀\\ufffd"');
    assert.equal(quoteGoString("plain"), '"plain"');
  });

  test("keys sort by UTF-8 bytes, not by JavaScript's object order or UTF-16 units", () => {
    assert.equal(encodeItemJson({ 9: 1, 10: 2, b: 3, A: 4 }).toString(), '{"10":2,"9":1,"A":4,"b":3}');
    assert.ok(compareGoStrings("\ue000", "😀") < 0);
    assert.ok(compareGoStrings("😀", "\uffff") > 0);
    assert.ok(compareGoStrings("a", "ab") < 0);
    assert.equal(compareGoStrings("x", "x"), 0);
  });

  test("undefined members are omitted, undefined array elements are null, no trailing newline", () => {
    const bytes = encodeItemJson({ a: undefined, b: [undefined, 1], c: null });
    assert.equal(bytes.toString(), '{"b":[null,1],"c":null}');
  });

  test("refuses what JSON cannot hold, naming where", () => {
    assert.throws(
      () => encodeItemJson({ metadata: { creationTimestamp: new Date() } }),
      /metadata\.creationTimestamp is a Date/,
    );
    assert.throws(() => encodeItemJson({ n: Number.NaN }), /\.n is NaN/);
    assert.throws(() => encodeItemJson({ m: new Map() }), FormatError);
    assert.throws(() => encodeItemJson({ f: () => 1 }), /a function/);
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    assert.throws(() => encodeItemJson(cyclic), /cycle/);
    // A shared (non-cyclic) reference is fine.
    const shared = { x: 1 };
    assert.equal(encodeItemJson({ a: shared, b: shared }).toString(), '{"a":{"x":1},"b":{"x":1}}');
  });

  test("parseItemJson names the item on bad JSON", () => {
    assert.throws(
      () => parseItemJson("{", {}, "resources/pods/cluster/x.json"),
      /resources\/pods\/cluster\/x\.json is not valid JSON/,
    );
  });

  for (const backup of FIXTURE_BACKUPS) {
    test(`every item of Velero's ${backup} re-encodes to identical bytes`, async () => {
      const entries = await readTarGz(readFileSync(fixtureTarball(backup)));
      let items = 0;
      for (const { header, data } of entries) {
        if (parseItemPath(header.name).kind !== "item") continue;
        items++;
        const reencoded = encodeItemJson(parseItemJson(data, { exactIntegers: true }));
        assert.ok(reencoded.equals(data), `${header.name} differs`);
        assert.ok(
          encodeItemJson(JSON.parse(data.toString("utf8"))).equals(data),
          `${header.name} (plain parse)`,
        );
      }
      assert.ok(items > 50, `only ${items} items`);
    });
  }
});
