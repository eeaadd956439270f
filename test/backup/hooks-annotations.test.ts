// Reading backup hook annotations: Velero's keys (phased and legacy), their stowage.dev twins, and a
// clear problem for each value that cannot be read.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { annotationHook, parseCommandAnnotation, stowageTwin } from "../../lib/hooks/annotations.ts";
import type { KubeObject } from "../../lib/index.ts";

const pod = (annotations: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "db-0", namespace: "shop", annotations },
});

describe("backup hook annotations", () => {
  test("a command is a JSON array of strings, or else one word, as Velero reads it", () => {
    assert.deepEqual(parseCommandAnnotation("k", '["sh", "-c", "sync"]'), { command: ["sh", "-c", "sync"] });
    assert.deepEqual(parseCommandAnnotation("k", "/usr/bin/sync"), { command: ["/usr/bin/sync"] });
    for (const [value, problem] of [
      ['["sh", "-c"', /annotation k: expected a JSON array of strings .*received "\[\\"sh\\", \\"-c\\""/],
      ["[1, 2]", /expected a JSON array of strings .*received "\[1, 2\]"/],
      ["[]", /the command is empty/],
    ] as const) {
      const parsed = parseCommandAnnotation("k", value);
      assert.ok("problem" in parsed, value);
      assert.match(parsed.problem, problem);
    }
  });

  test("the stowage.dev twin replaces Velero's domain; Velero's key wins when both are set", () => {
    assert.equal(stowageTwin("pre.hook.backup.velero.io/command"), "pre.hook.backup.stowage.dev/command");
    const both = annotationHook(
      pod({
        "pre.hook.backup.velero.io/command": '["velero"]',
        "pre.hook.backup.stowage.dev/command": '["stowage"]',
        "pre.hook.backup.stowage.dev/container": "sidecar",
      }),
      "pre",
      "backup",
    );
    assert.deepEqual(both?.hook?.command, ["velero"]);
    assert.equal(both?.container, "sidecar", "each value is looked up on its own");
  });

  test("Velero's legacy unprefixed keys and the defaults: first container, Fail, 30s", () => {
    const legacy = annotationHook(pod({ "hook.backup.velero.io/command": "sync" }), "", "backup");
    assert.deepEqual(legacy, {
      container: "",
      hook: { command: ["sync"], onError: "Fail", timeoutMs: 0 },
      problems: [],
      onError: "Fail",
    });
    assert.equal(annotationHook(pod({}), "pre", "backup"), undefined);
  });

  test("bad values are problems naming the pod, the key and the value; a bad on-error counts as Fail", () => {
    const bad = annotationHook(
      pod({
        "post.hook.backup.velero.io/command": "sync",
        "post.hook.backup.velero.io/on-error": "continue",
        "post.hook.backup.velero.io/timeout": "30 seconds",
      }),
      "post",
      "backup",
    );
    assert.equal(bad?.hook, undefined);
    assert.equal(bad?.onError, "Fail");
    assert.deepEqual(bad?.problems, [
      'pod shop/db-0: annotation post.hook.backup.velero.io/on-error: expected "Continue" or "Fail", received "continue"; fix it or leave it out (Fail)',
      'pod shop/db-0: annotation post.hook.backup.velero.io/timeout: expected a duration like "30s" or "2m", received "30 seconds"; fix it or leave it out (30s)',
    ]);
  });
});
