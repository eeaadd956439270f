import assert from "node:assert/strict";
import { test } from "node:test";
import { isRecord } from "../../lib/util/is-record.ts";

test("isRecord: objects are records; null, arrays and primitives are not", () => {
  assert.equal(isRecord({}), true);
  assert.equal(isRecord({ a: 1 }), true);
  assert.equal(isRecord(Object.create(null)), true);
  for (const value of [null, undefined, [], [1], "x", 1, true])
    assert.equal(isRecord(value), false, String(value));
});
