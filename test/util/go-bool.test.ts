import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfigBool, parseGoBool } from "../../lib/util/go-bool.ts";

describe("parseGoBool", () => {
  test("Go's spellings of true and false, and nothing else", () => {
    for (const text of ["1", "t", "T", "TRUE", "true", "True"]) assert.equal(parseGoBool(text), true, text);
    for (const text of ["0", "f", "F", "FALSE", "false", "False"])
      assert.equal(parseGoBool(text), false, text);
    for (const text of ["", "yes", "tRUE", " true", "2"]) assert.equal(parseGoBool(text), undefined, text);
  });
});

describe("parseConfigBool", () => {
  test("missing or empty is undefined; a bad value names provider, key and value", () => {
    assert.equal(parseConfigBool("velero.io/aws", "k", undefined), undefined);
    assert.equal(parseConfigBool("velero.io/aws", "k", ""), undefined);
    assert.equal(parseConfigBool("velero.io/aws", "k", "T"), true);
    assert.throws(() => parseConfigBool("velero.io/aws", "s3ForcePathStyle", "yes"), {
      code: "ERR_CONFIG",
      message: 'velero.io/aws: could not parse s3ForcePathStyle "yes": expected a bool ("true" or "false")',
    });
  });
});
