/**
 * A restore's `verify` (Velero issue #1688) and its run-level hooks (`hooks.before` / `hooks.after`)
 * against the real apiserver and a real store: verify's problems are errors of the restore (in its result,
 * record, results and log), never thrown; before/after keep try/finally semantics under success, a failing
 * item and an abort, and a dry run runs none of them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import {
  backup,
  type Cluster,
  getRestore,
  type ObjectStore,
  type RestoreItemAction,
  type RestoreResult,
  restore,
  ValidationError,
} from "../../lib/index.ts";
import { getBuffer } from "../../lib/store/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

const keysOf = async (store: ObjectStore, prefix = ""): Promise<string[]> => {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys.sort();
};

/** A namespace with two ConfigMaps, backed up; a fresh target namespace name, removed after the test. */
const backedUp = async (cluster: Cluster, prefix: string) => {
  const ns = await makeNamespace(cluster, prefix);
  for (const name of ["settings", "bad"]) {
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: name } },
      { namespace: ns },
    );
  }
  const store = tempFsStore();
  const backupName = `${ns}-b`;
  const b = await backup({ cluster, store, name: backupName, includedNamespaces: [ns] });
  assert.equal(b.phase, "Completed");
  const target = `${ns}-v`;
  onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
  return { ns, store, backupName, target, namespaceMapping: { [ns]: target } };
};

const restoreLog = async (store: ObjectStore, name: string): Promise<string> =>
  gunzipSync(await getBuffer(store, `restores/${name}/restore-${name}-logs.gz`)).toString();

describe("restore() verify (real apiserver and store)", () => {
  test("verify runs once every item is restored and gets the result; all well: Completed, verify ok", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "vf-ok");
    let seen: { data?: unknown; phase?: string; planned?: boolean; recorded?: boolean } | undefined;
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "vf-ok",
      namespaceMapping: f.namespaceMapping,
      verify: async ({ cluster: c, result, signal }) => {
        const cm = await c.get("configmaps", "settings", { namespace: f.target, signal });
        seen = {
          data: cm.data,
          phase: result.phase,
          planned: result.plan.some((e) => e.name === "settings" && e.namespace === f.target),
          recorded: (await keysOf(f.store, "restores/")).some((k) => k.endsWith("restore-vf-ok.json")),
        };
      },
    });
    assert.deepEqual(seen, { data: { k: "settings" }, phase: "Completed", planned: true, recorded: false });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.equal(result.verify?.ok, true);
    assert.deepEqual(result.verify?.problems, []);
    assert.equal(result.runHooks, undefined, "no run-level hooks were given");
    assert.match(await restoreLog(f.store, "vf-ok"), /msg="verify passed".* hook=verify/);
  });

  test("verify returns problems: each is an error of the restore, which ends PartiallyFailed, not thrown", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "vf-problems");
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "vf-problems",
      namespaceMapping: f.namespaceMapping,
      verify: () => ["deployment web is missing", "configmap settings has no key 'url'"],
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.equal(result.verify?.ok, false);
    assert.deepEqual(result.verify?.problems, [
      "deployment web is missing",
      "configmap settings has no key 'url'",
    ]);
    assert.deepEqual(result.errors.velero, [
      "verify: deployment web is missing",
      "verify: configmap settings has no key 'url'",
    ]);
    assert.equal(result.counts.errors, 2);
    const stored = await getRestore(f.store, "vf-problems");
    assert.equal(stored.restore.status.phase, "PartiallyFailed");
    assert.equal(stored.restore.status.errors, 2);
    assert.deepEqual(stored.results?.errors.velero, result.errors.velero);
  });

  test("verify throws: recorded as the restore's error, not thrown", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "vf-throws");
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "vf-throws",
      namespaceMapping: f.namespaceMapping,
      verify: async ({ cluster: c }) => {
        await c.get("deployments", "web", { namespace: f.target });
      },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.equal(result.verify?.ok, false);
    assert.match(result.verify?.error ?? "", /web/);
    assert.match(result.errors.velero?.[0] ?? "", /^verify failed: .*web/);
    assert.equal((await getRestore(f.store, "vf-throws")).restore.status.phase, "PartiallyFailed");
    assert.match(await restoreLog(f.store, "vf-throws"), /level=error msg="verify failed: /);
  });

  test("a failing item: verify and after both see the PartiallyFailed restore", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "vf-item");
    const refuseBad: RestoreItemAction = {
      name: "test.stowage.dev/refuse-bad",
      appliesTo: { resources: ["configmaps"] },
      execute: ({ item }) => {
        if (item.metadata?.name === "bad") throw new Error("refused");
        return { item };
      },
    };
    const phases: string[] = [];
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      namespaceMapping: f.namespaceMapping,
      actions: [refuseBad],
      verify: ({ result }) => void phases.push(`verify ${result.phase}`),
      hooks: { after: ({ result }) => void phases.push(`after ${result?.phase}`) },
    });
    assert.deepEqual(phases, ["verify PartiallyFailed", "after PartiallyFailed"]);
    assert.equal(result.phase, "PartiallyFailed");
    assert.equal(result.verify?.ok, true);
  });

  test("aborted while verify runs: the restore throws and is recorded Failed", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "vf-abort");
    const controller = new AbortController();
    let afterGot: unknown;
    let thrown: unknown;
    await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "vf-abort",
      namespaceMapping: f.namespaceMapping,
      signal: controller.signal,
      verify: ({ signal }) =>
        new Promise<undefined>((_, reject) => {
          signal.addEventListener("abort", () => reject(signal.reason));
          controller.abort(new Error("stopped by the test"));
        }),
      hooks: {
        after: ({ error }) => {
          afterGot = error;
        },
      },
    }).catch((error: unknown) => {
      thrown = error;
    });
    assert.ok(thrown instanceof Error);
    assert.match(thrown.message, /stopped by the test/);
    assert.equal(afterGot, thrown, "after got the error");
    assert.equal((await getRestore(f.store, "vf-abort")).restore.status.phase, "Failed");
  });

  test("a verify that is not a function is refused before anything runs", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    await assert.rejects(
      restore({ cluster, store, backupName: "none", verify: ["configmaps/settings"] as never }),
      (error: Error) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, /verify must be a function/);
        return true;
      },
    );
  });
});

describe("restore() run-level hooks (real apiserver and store)", () => {
  test("before runs before the restore writes anything, then the restore, verify, and after with the result", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "rrh-ok");
    const order: string[] = [];
    let keysAtBefore: string[] | undefined;
    let afterResult: RestoreResult | undefined;
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "rrh-ok",
      namespaceMapping: f.namespaceMapping,
      hooks: {
        before: async ({ name, backupName, options, signal }) => {
          order.push(`before ${name} ${backupName}`);
          assert.equal(options.namespaceMapping, f.namespaceMapping);
          assert.equal(signal.aborted, false);
          keysAtBefore = await keysOf(f.store, "restores/");
          assert.equal(await cluster.tryGet("namespaces", f.target), undefined, "nothing restored yet");
        },
        after: ({ result }) => {
          order.push("after");
          afterResult = result;
        },
      },
      verify: () => void order.push("verify"),
    });
    assert.deepEqual(order, [`before rrh-ok ${f.backupName}`, "verify", "after"]);
    assert.deepEqual(keysAtBefore, [], "before ran before the restore's claim");
    assert.equal(afterResult?.phase, "Completed");
    assert.equal(afterResult?.verify?.ok, true, "after gets the result with verify's outcome");
    assert.equal(result.runHooks?.before?.ok, true);
    assert.equal(result.runHooks?.after?.ok, true);
    assert.match(await restoreLog(f.store, "rrh-ok"), /msg="run hook before succeeded".* hook=before/);
  });

  test("before throws: nothing is restored or recorded, the error names the hook, after and verify do not run", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "rrh-refuse");
    const ran: string[] = [];
    await assert.rejects(
      restore({
        cluster,
        store: f.store,
        backupName: f.backupName,
        name: "rrh-refuse",
        namespaceMapping: f.namespaceMapping,
        hooks: {
          before: () => {
            throw new Error("the target cluster is not drained");
          },
          after: () => void ran.push("after"),
        },
        verify: () => void ran.push("verify"),
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_HOOK");
        assert.match(error.message, /^restore "rrh-refuse" did not run: its hooks\.before failed: /);
        assert.match(error.message, /the target cluster is not drained/);
        return true;
      },
    );
    assert.deepEqual(ran, []);
    assert.deepEqual(await keysOf(f.store, "restores/"), []);
    assert.equal(await cluster.tryGet("namespaces", f.target), undefined);
  });

  test("aborted mid-restore: after still runs and gets the error; the restore is recorded Failed", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "rrh-abort");
    const controller = new AbortController();
    const abortOnBad: RestoreItemAction = {
      name: "test.stowage.dev/abort-on-bad",
      appliesTo: { resources: ["configmaps"] },
      execute: ({ item }) => {
        if (item.metadata?.name !== "bad") return { item };
        // cancelled while this item is restored: the run stops here, whatever else is in flight
        controller.abort(new Error("stopped by the test"));
        throw controller.signal.reason;
      },
    };
    let after: { error: unknown; aborted: boolean } | undefined;
    let thrown: unknown;
    await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "rrh-abort",
      namespaceMapping: f.namespaceMapping,
      actions: [abortOnBad],
      signal: controller.signal,
      hooks: {
        before: () => undefined,
        after: ({ error, signal }) => {
          after = { error, aborted: signal.aborted };
        },
      },
    }).catch((error: unknown) => {
      thrown = error;
    });
    assert.ok(thrown instanceof Error);
    assert.equal(after?.error, thrown);
    assert.equal(after?.aborted, false, "after has its own signal");
    assert.equal((await getRestore(f.store, "rrh-abort")).restore.status.phase, "Failed");
  });

  test("after throws: the result is kept, PartiallyFailed with the hook's error; the stored record is Completed", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "rrh-after");
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      name: "rrh-after",
      namespaceMapping: f.namespaceMapping,
      hooks: {
        after: () => {
          throw new Error("could not notify the on-call");
        },
      },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.deepEqual(result.errors.velero, ["hooks.after failed: could not notify the on-call"]);
    assert.equal(result.counts.errors, 1);
    assert.equal(result.runHooks?.after?.ok, false);
    assert.equal((await getRestore(f.store, "rrh-after")).restore.status.phase, "Completed");
  });

  test("a dry run runs no hook and no verify", async () => {
    const cluster = await connectTest();
    const f = await backedUp(cluster, "rrh-dry");
    const ran: string[] = [];
    const result = await restore({
      cluster,
      store: f.store,
      backupName: f.backupName,
      namespaceMapping: f.namespaceMapping,
      dryRun: true,
      hooks: { before: () => void ran.push("before"), after: () => void ran.push("after") },
      verify: () => void ran.push("verify"),
    });
    assert.equal(result.phase, "Completed");
    assert.deepEqual(ran, []);
    assert.equal(result.verify, undefined);
    assert.equal(result.runHooks, undefined);
  });
});
