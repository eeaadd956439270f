// Restore hooks without a cluster: where init-container hooks go in a pod's spec (after Velero's
// restore-wait helper, before the pod's own init containers), how annotations become hooks, and which
// `hooks.resources[]` entries apply to a pod.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHookCommand, planExecHooks, withInitHooks } from "../../lib/hooks/restore-pod.ts";
import type { ResolvedResourceRestoreHook } from "../../lib/hooks/restore-spec.ts";
import type { KubeObject } from "../../lib/index.ts";

const pod = (init: {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  initContainers?: Array<Record<string, unknown>>;
  namespace?: string;
}): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "db-0",
    namespace: init.namespace ?? "shop",
    annotations: init.annotations ?? {},
    labels: init.labels ?? {},
  },
  spec: {
    containers: [
      { name: "db", image: "postgres:16" },
      { name: "sidecar", image: "busybox" },
    ],
    ...(init.initContainers ? { initContainers: init.initContainers } : {}),
  },
});

const entry = (
  name: string,
  applies: (ns: string, labels: Record<string, string>) => boolean,
  initContainers: Array<Record<string, unknown>>,
  exec: ResolvedResourceRestoreHook["exec"] = [],
): ResolvedResourceRestoreHook => ({
  name,
  applies: (ns, labels) => applies(ns, { ...labels }),
  initContainers,
  exec,
});

const initNames = (p: KubeObject) =>
  ((p.spec as { initContainers?: Array<{ name: string }> }).initContainers ?? []).map((c) => c.name);

describe("restore hooks on one pod (pure)", () => {
  it("puts hook init containers after restore-wait and before the pod's own init containers", () => {
    const withWait = pod({
      initContainers: [
        { name: "restore-wait", image: "velero/velero-restore-helper" },
        { name: "own-init", image: "busybox" },
      ],
    });
    const hooks = [
      entry("seed", () => true, [{ name: "seed-a", image: "loader", command: ["load"] }]),
      entry("more", () => true, [{ name: "seed-b", image: "loader", command: ["load"] }]),
    ];
    const out = withInitHooks(withWait, hooks);
    assert.deepEqual(initNames(out?.pod ?? {}), ["restore-wait", "seed-a", "seed-b", "own-init"]);
    // without the helper, hooks come first
    const plain = withInitHooks(pod({ initContainers: [{ name: "own-init", image: "busybox" }] }), hooks);
    assert.deepEqual(initNames(plain?.pod ?? {}), ["seed-a", "seed-b", "own-init"]);
  });

  it("takes the init container from the annotations when the pod has container-image, else the spec", () => {
    const annotated = pod({
      annotations: {
        "init.hook.restore.velero.io/container-image": "alpine:3.20",
        "init.hook.restore.velero.io/container-name": "restore-init",
        "init.hook.restore.velero.io/command": '["/bin/sh", "-c", "echo hi"]',
      },
    });
    const spec = [entry("seed", () => true, [{ name: "seed-a", image: "loader", command: ["load"] }])];
    const out = withInitHooks(annotated, spec);
    assert.equal(out?.source, "annotation");
    const restored: KubeObject = out?.pod ?? {};
    assert.deepEqual((restored.spec as { initContainers: unknown[] }).initContainers, [
      { name: "restore-init", image: "alpine:3.20", command: ["/bin/sh", "-c", "echo hi"] },
    ]);
    // no name annotation: Velero's generated name
    const unnamed = withInitHooks(
      pod({ annotations: { "init.hook.restore.velero.io/container-image": "alpine:3.20" } }),
      [],
    );
    assert.match(initNames(unnamed?.pod ?? {})[0] ?? "", /^velero-restore-init-[0-9a-f]{8}$/);
    // selectors decide for spec hooks; nothing applies → no change
    assert.equal(
      withInitHooks(pod({}), [
        entry("other-ns", (ns) => ns === "elsewhere", [{ name: "x", image: "y", command: ["z"] }]),
      ]),
      undefined,
    );
  });

  it("reads a command annotation as a JSON array, else as one argument", () => {
    assert.deepEqual(parseHookCommand('["a","b c"]'), ["a", "b c"]);
    assert.deepEqual(parseHookCommand("/bin/true"), ["/bin/true"]);
    assert.deepEqual(parseHookCommand("[not json"), ["[not json"]);
  });

  it("plans the annotation exec hook alone, else every applicable spec hook in order, containers settled", () => {
    const warnings: string[] = [];
    const annotated = pod({
      annotations: {
        "post.hook.restore.velero.io/command": '["psql","-f","/backup/dump.sql"]',
        "post.hook.restore.velero.io/on-error": "Fail",
        "post.hook.restore.velero.io/exec-timeout": "45s",
        "post.hook.restore.velero.io/wait-timeout": "5m",
        "post.hook.restore.velero.io/wait-for-ready": "true",
      },
    });
    const spec = entry(
      "s",
      () => true,
      [],
      [
        {
          hookName: "s",
          source: "spec",
          index: 0,
          container: "sidecar",
          command: ["a"],
          onError: "Continue",
          execTimeoutMs: 30_000,
          waitTimeoutMs: 0,
          waitForReady: false,
        },
        {
          hookName: "s",
          source: "spec",
          index: 1,
          container: undefined,
          command: ["b"],
          onError: "Fail",
          execTimeoutMs: 30_000,
          waitTimeoutMs: 0,
          waitForReady: false,
        },
      ],
    );
    const [hook, ...rest] = planExecHooks(annotated, [spec], (m) => warnings.push(m));
    assert.deepEqual(rest, []);
    assert.deepEqual(
      { ...hook },
      {
        hookName: "<from-annotation>",
        source: "annotation",
        index: 0,
        container: "db",
        command: ["psql", "-f", "/backup/dump.sql"],
        onError: "Fail",
        execTimeoutMs: 45_000,
        waitTimeoutMs: 300_000,
        waitForReady: true,
      },
    );
    const planned = planExecHooks(pod({}), [spec], (m) => warnings.push(m));
    assert.deepEqual(
      planned.map((h) => [h.container, h.command]),
      [
        ["sidecar", ["a"]],
        ["db", ["b"]],
      ],
    );
    assert.equal(warnings.length, 0, warnings.join("\n"));
    // unreadable values are warned about and fall back to Velero's defaults
    const [lenient] = planExecHooks(
      pod({
        annotations: {
          "post.hook.restore.velero.io/command": "true",
          "post.hook.restore.velero.io/exec-timeout": "soon",
          "post.hook.restore.velero.io/on-error": "Maybe",
        },
      }),
      [],
      (m) => warnings.push(m),
    );
    // the stowage.dev twins work too; Velero's key wins over its twin
    const [twin] = planExecHooks(
      pod({
        annotations: {
          "post.hook.restore.stowage.dev/command": '["sh","-c","twin"]',
          "post.hook.restore.stowage.dev/container": "sidecar",
          "post.hook.restore.velero.io/container": "db",
        },
      }),
      [],
      (m) => warnings.push(m),
    );
    assert.deepEqual([twin?.command, twin?.container], [["sh", "-c", "twin"], "db"]);
    assert.equal(lenient?.execTimeoutMs, 30_000);
    assert.equal(lenient?.onError, "Continue");
    assert.equal(warnings.length, 2, warnings.join("\n"));
  });
});
