// Velero's restore hooks against the real apiserver: init-container hooks in the restored pods' spec,
// post-restore exec hooks run through `pods/exec` once the harness node reports the pod up (or Ready),
// wait timeouts that expire, `onError` Continue vs Fail, function hooks, abort, and the counts in the
// restore's result, record, log and description.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { describeRestore } from "../../lib/cli/describe-restore.ts";
import {
  AbortError,
  backup,
  type Cluster,
  getRestore,
  type KubeObject,
  type ObjectStore,
  type RestoreHooks,
  restore,
  ValidationError,
} from "../../lib/index.ts";
import { openCatalog } from "../../lib/store/catalog.ts";
import { IMAGE } from "../podvolume/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, type NodePlayer, podOnNode, startNodePlayer } from "../support/node-player.ts";
import { tempFsStore } from "../support/stores.ts";

/** `sh -c` writing `text` to a file under the pod's `data` volume (the path argument is mapped by the node). */
const writes = (text: string, file: string) => ["sh", "-c", `echo ${text} > "$1"`, "sh", `/mnt/data/${file}`];

const restoredNamespaces = {
  annotations: `hk-ann-${uniqueSuffix()}`,
  expiry: `hk-exp-${uniqueSuffix()}`,
  spec: `hk-spec-${uniqueSuffix()}`,
  fail: `hk-fail-${uniqueSuffix()}`,
  abort: `hk-abort-${uniqueSuffix()}`,
};

describe("restore hooks (harness plays the node)", () => {
  let cluster: Cluster;
  let node: NodePlayer;
  let store: ObjectStore;
  let source: string;
  const backupName = `hooks-${uniqueSuffix()}`;

  /** The restored pod, once the node reports it Running. */
  const runningPod = (namespace: string, name: string) =>
    eventually(`pod ${namespace}/${name} running`, async () => {
      const live = await cluster.tryGet("pods", name, { namespace });
      return (live?.status as { phase?: string } | undefined)?.phase === "Running" ? live : undefined;
    });
  const execsOf = (namespace: string, pod: string) =>
    node.execs.filter((e) => e.namespace === namespace && e.pod === pod);
  const dataFile = (pod: KubeObject, file: string) =>
    join(node.emptyDir(pod.metadata?.uid ?? "", "data"), file);
  const initNames = (pod: KubeObject) =>
    ((pod.spec as { initContainers?: Array<{ name: string }> }).initContainers ?? []).map((c) => c.name);

  before(async () => {
    cluster = await connectTest();
    for (const ns of Object.values(restoredNamespaces)) {
      onCleanup(() => cluster.delete("namespaces", ns).catch(() => undefined));
    }
    const kubeletDir = mkdtempSync(join(tmpdir(), "stowage-hooks-kubelet-"));
    node = await startNodePlayer({
      cluster,
      kubeletDir,
      runImages: [IMAGE],
      schedule: Object.values(restoredNamespaces),
    });
    onCleanup(() => node.stop());
    store = tempFsStore();
    source = await makeNamespace(cluster, "hk-src");
    const pod = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) =>
      createRunningPod(cluster, podOnNode({ namespace: source, name, node: node.name, labels, annotations }));
    // annotated the Velero way: an init container, and an exec hook waiting for Ready
    await pod(
      "web",
      { case: "annotations" },
      {
        "init.hook.restore.velero.io/container-image": "busybox:1.36",
        "init.hook.restore.velero.io/container-name": "restore-init",
        "init.hook.restore.velero.io/command": '["sh", "-c", "echo init"]',
        "post.hook.restore.velero.io/command": JSON.stringify(writes("hooked", "hook.txt")),
        "post.hook.restore.velero.io/wait-for-ready": "true",
        "post.hook.restore.velero.io/wait-timeout": "3m",
        "post.hook.restore.velero.io/on-error": "Fail",
      },
    );
    // annotated too, but outside every restore's label selector: never restored, so never hooked
    await pod(
      "outside",
      { case: "none" },
      { "post.hook.restore.velero.io/command": JSON.stringify(writes("outside", "hook.txt")) },
    );
    // its container is held not Ready after the restore: the wait timeout expires
    await pod(
      "slow",
      { case: "expiry" },
      {
        "post.hook.restore.velero.io/command": JSON.stringify(writes("late", "hook.txt")),
        "post.hook.restore.velero.io/wait-for-ready": "true",
        "post.hook.restore.velero.io/wait-timeout": "3s",
        "post.hook.restore.velero.io/on-error": "Fail",
      },
    );
    // no annotations: the spec's hooks select by label
    await pod("db", { case: "spec", app: "db" });
    await pod("cache", { case: "spec", app: "cache" });
    const result = await backup({ cluster, store, name: backupName, includedNamespaces: [source] });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
  });

  it("adds the annotation's init container and runs the exec hook once the node reports the pod Ready (harness plays the node)", async () => {
    const target = restoredNamespaces.annotations;
    node.holdNotReady(target, "web");
    const running = restore({
      cluster,
      store,
      backupName,
      name: `hooks-${uniqueSuffix()}`,
      labelSelector: "case=annotations",
      namespaceMapping: { [source]: target },
    });
    const live = await runningPod(target, "web");
    assert.deepEqual(
      (live.spec as { initContainers?: unknown[] }).initContainers?.map((c) => {
        const { name, image, command } = c as Record<string, unknown>;
        return { name, image, command };
      }),
      [{ name: "restore-init", image: "busybox:1.36", command: ["sh", "-c", "echo init"] }],
      "the init-container hook is in the restored pod's spec",
    );
    // running but held not Ready: a wait-for-ready hook cannot have run yet
    assert.deepEqual(execsOf(target, "web"), []);
    node.release(target, "web");
    const result = await running;

    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.deepEqual(result.hookStatus, { hooksAttempted: 1, hooksFailed: 0 });
    const execs = execsOf(target, "web");
    assert.equal(execs.length, 1);
    assert.deepEqual(execs[0]?.command, writes("hooked", "hook.txt"));
    assert.equal(execs[0]?.container, "app");
    assert.equal(execs[0]?.exitCode, 0);
    assert.equal(readFileSync(dataFile(live, "hook.txt"), "utf8"), "hooked\n");
    // a pod the restore's selector left out is neither restored nor hooked
    assert.equal(await cluster.tryGet("pods", "outside", { namespace: target }), undefined);
    assert.deepEqual(execsOf(target, "outside"), []);

    // the record, description and log say so, as Velero's do
    const { restore: record } = await getRestore(store, result.name);
    assert.deepEqual(record.status.hookStatus, { hooksAttempted: 1 });
    assert.match(describeRestore(record, null), /HooksAttempted:\s+1\nHooksFailed:\s+0\n/);
    const log = await openCatalog(store).getRestoreLogText(result.name);
    assert.match(
      log,
      /msg="running post-restore exec hook".*hookContainer=app.*hookName="<from-annotation>"/,
    );
  });

  it("records a hook whose wait timeout expires as failed, and does not hang on it (harness plays the node)", async () => {
    const target = restoredNamespaces.expiry;
    node.holdNotReady(target, "slow"); // never released
    const result = await restore({
      cluster,
      store,
      backupName,
      name: `hooks-${uniqueSuffix()}`,
      labelSelector: "case=expiry",
      namespaceMapping: { [source]: target },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.deepEqual(result.hookStatus, { hooksAttempted: 1, hooksFailed: 1 });
    const errors = result.errors.namespaces?.[target] ?? [];
    assert.equal(errors.length, 1, JSON.stringify(result.errors));
    assert.match(errors[0] ?? "", /name: \/slow .*hook <from-annotation> in container app .*failed/);
    assert.match(errors[0] ?? "", /container app was not Ready within the wait timeout of 3s/);
    assert.deepEqual(execsOf(target, "slow"), [], "an expired hook never runs");
    const { restore: record } = await getRestore(store, result.name);
    assert.deepEqual(record.status.hookStatus, { hooksAttempted: 1, hooksFailed: 1 });
  });

  it("runs Velero RestoreSpec hooks on the pods they select, in order: init container first, a Continue failure is an error the later hooks go on after (harness plays the node)", async () => {
    const target = restoredNamespaces.spec;
    // Velero's RestoreSpec.hooks, as a Restore object would carry it
    const hooks: RestoreHooks = {
      resources: [
        {
          name: "restore-db",
          includedNamespaces: [target],
          includedResources: ["pods"],
          labelSelector: { matchLabels: { app: "db" } },
          postHooks: [
            {
              init: {
                initContainers: [
                  {
                    name: "seed",
                    image: IMAGE,
                    command: writes("seeded", "seed.txt"),
                    volumeMounts: [{ name: "data", mountPath: "/mnt/data" }],
                  },
                ],
                timeout: "1m",
              },
            },
            {
              exec: {
                container: "app",
                command: ["sh", "-c", "echo broken >&2; exit 3"],
                onError: "Continue",
                execTimeout: "30s",
                waitTimeout: "2m",
              },
            },
            {
              exec: {
                command: ["sh", "-c", 'cat "$1" > "$2"', "sh", "/mnt/data/seed.txt", "/mnt/data/after.txt"],
                waitForReady: true,
                waitTimeout: "2m",
              },
            },
          ],
        },
        // a container the pod does not have: a failed hook, not a wait
        {
          name: "wrong-container",
          labelSelector: "app=db",
          postHooks: [{ exec: { container: "missing", command: ["true"], onError: "Continue" } }],
        },
        // a namespace the restore does not restore into: never applies
        {
          name: "elsewhere",
          includedNamespaces: ["not-restored"],
          postHooks: [{ exec: { command: ["false"] } }],
        },
      ],
    };
    const result = await restore({
      cluster,
      store,
      backupName,
      name: `hooks-${uniqueSuffix()}`,
      labelSelector: "case=spec",
      namespaceMapping: { [source]: target },
      hooks,
    });
    // as in Velero, a failed hook is an error even with Continue: the restore is PartiallyFailed
    assert.equal(result.phase, "PartiallyFailed");
    assert.deepEqual(result.hookStatus, { hooksAttempted: 3, hooksFailed: 2 });
    const errors = result.errors.namespaces?.[target] ?? [];
    assert.equal(errors.length, 2, JSON.stringify(result.errors));
    assert.ok(
      errors.some((w) =>
        /hook wrong-container in container missing .*the pod has no container missing/.test(w),
      ),
      JSON.stringify(result.errors),
    );
    assert.ok(
      errors.some((w) =>
        /name: \/db .*hook restore-db in container app .*exited with code 3: broken/.test(w),
      ),
      JSON.stringify(result.errors),
    );
    const db = await runningPod(target, "db");
    assert.deepEqual(initNames(db), ["seed"]);
    assert.deepEqual(
      execsOf(target, "db").map((e) => [e.command[2], e.exitCode]),
      [
        ["echo broken >&2; exit 3", 3],
        ['cat "$1" > "$2"', 0],
      ],
      "both hooks ran, in order, after the failing Continue one",
    );
    assert.equal(readFileSync(dataFile(db, "after.txt"), "utf8"), "seeded\n", "the init container ran first");
    const cache = await runningPod(target, "cache");
    assert.deepEqual(initNames(cache), [], "the label selector leaves the cache pod out");
    assert.deepEqual(execsOf(target, "cache"), []);
    // the recorded spec carries the hooks in Velero's shape
    const { restore: record } = await getRestore(store, result.name);
    const recorded = (record.spec.hooks as { resources: Array<Record<string, unknown>> }).resources;
    assert.deepEqual(recorded[0], { ...hooks.resources?.[0] });
  });

  it("runs function hooks; a Fail hook's failure is an error and stops the hooks after it (harness plays the node)", async () => {
    const target = restoredNamespaces.fail;
    const seen: string[] = [];
    const result = await restore({
      cluster,
      store,
      backupName,
      name: `hooks-${uniqueSuffix()}`,
      labelSelector: "app=db",
      namespaceMapping: { [source]: target },
      hooks: {
        resources: [
          {
            name: "as-code",
            postHooks: [
              // a bare function: an exec hook with the defaults (first container, Continue, 30s)
              async ({ pod, container, exec }) => {
                seen.push(`${pod.metadata?.namespace}/${pod.metadata?.name}/${container}`);
                const out = await exec(writes("fn", "fn.txt"));
                if (out.exitCode !== 0) throw new Error(`exit ${out.exitCode}`);
              },
              // a function in command's place that throws: a failed Continue hook, a warning
              {
                exec: {
                  command: () => {
                    throw new Error("checksum mismatch");
                  },
                },
              },
              { exec: { command: ["sh", "-c", "exit 1"], onError: "Fail" } },
              { exec: { command: writes("never", "never.txt") } },
            ],
          },
        ],
      },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.deepEqual(result.hookStatus, { hooksAttempted: 4, hooksFailed: 3 });
    assert.deepEqual(seen, [`${target}/db/app`]);
    const errors = result.errors.namespaces?.[target] ?? [];
    assert.deepEqual(
      errors.map((e) => e.replace(/.* error: \//, "")),
      [
        "checksum mismatch",
        `command ["sh","-c","exit 1"] in container app of pod ${target}/db exited with code 1`,
        `not run: hook as-code of pod ${target}/db failed with onError Fail`,
      ],
      "each failed hook is an error, in the order they failed",
    );
    const db = await runningPod(target, "db");
    assert.equal(readFileSync(dataFile(db, "fn.txt"), "utf8"), "fn\n");
    assert.equal(existsSync(dataFile(db, "never.txt")), false);
    assert.equal(execsOf(target, "db").length, 2);
    // a function cannot be written down: the recorded spec keeps the command hooks only
    const { restore: record } = await getRestore(store, result.name);
    const recorded = (record.spec.hooks as { resources: Array<{ postHooks: unknown[] }> }).resources;
    assert.equal(recorded[0]?.postHooks.length, 2);
  });

  it("stops waiting for hooks when the restore is aborted, and records it Failed (harness plays the node)", async () => {
    const target = restoredNamespaces.abort;
    node.holdNotReady(target, "db");
    const controller = new AbortController();
    const running = restore({
      cluster,
      store,
      backupName,
      name: `aborted-${uniqueSuffix()}`,
      labelSelector: "app=db",
      namespaceMapping: { [source]: target },
      signal: controller.signal,
      // no wait timeout: only the abort ends the wait
      hooks: {
        resources: [{ name: "forever", postHooks: [{ exec: { command: ["true"], waitForReady: true } }] }],
      },
    });
    await runningPod(target, "db");
    controller.abort();
    await assert.rejects(running, AbortError);
    const names = await openCatalog(store).restoreNames();
    const records = await Promise.all(names.map((n) => getRestore(store, n)));
    const aborted = records.find((r) => r.restore.metadata.name.startsWith("aborted-"));
    assert.equal(aborted?.restore.status.phase, "Failed");
    // the hook that never ran is counted failed, as Velero counts hooks its cancelled wait left behind
    assert.deepEqual(aborted?.restore.status.hookStatus, { hooksAttempted: 1, hooksFailed: 1 });
    assert.deepEqual(execsOf(target, "db"), []);
  });

  it("refuses hooks that are not Velero's shape before restoring anything, naming each field", async () => {
    await assert.rejects(
      restore({
        cluster,
        store,
        backupName,
        hooks: {
          resources: [
            {
              name: "",
              postHooks: [
                { exec: { command: [], onError: "Stop" as "Fail", execTimeout: "soon" } },
                { init: { initContainers: [{ name: "no-image", command: ["x"] }] } },
              ],
            },
          ],
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        const text = error.problems.join("\n");
        assert.match(text, /hooks\.resources\[0\]\.name is required/);
        assert.match(text, /hooks\.resources\[0\]\.postHooks\[0\]\.exec\.command must be a non-empty array/);
        assert.match(
          text,
          /hooks\.resources\[0\]\.postHooks\[0\]\.exec\.onError must be "Continue" or "Fail"/,
        );
        assert.match(text, /hooks\.resources\[0\]\.postHooks\[0\]\.exec\.execTimeout must be a Go duration/);
        assert.match(text, /hooks\.resources\[0\]\.postHooks\[1\]\.init\.initContainers\[0\] needs image/);
        return true;
      },
    );
  });
});
