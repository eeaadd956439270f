import assert from "node:assert/strict";
import { test } from "node:test";
import { uniqueName } from "../../lib/util/unique-name.ts";

test("uniqueName: base, a dash and a fresh UUID, the base cut to fit the limit", () => {
  const short = uniqueName("disk-1", 63);
  assert.match(short, /^disk-1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.notEqual(uniqueName("disk-1", 63), short);
  const long = uniqueName("x".repeat(100), 80);
  assert.equal(long.length, 80);
  assert.ok(long.startsWith(`${"x".repeat(43)}-`));
});
