// The runner doing real work: a scheduled backup script into MinIO (names and labels as Velero's
// schedule controller writes them), TTL garbage collection on the leader, and SIGTERM's grace period.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { extractArchive } from "../../lib/format/index.ts";
import { type KubeObject, listBackups, openCatalog, s3Store } from "../../lib/index.ts";
import { minioEnv, tempBucket, tempDir } from "../cli/support.ts";
import { repoRoot } from "../support/binaries.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { RECORD_RUN, type Replica, readRuns, scriptsDir, startReplica } from "./support.ts";

const waitForLog = async (replica: Replica, what: string, match: (l: Record<string, unknown>) => boolean) => {
  const deadline = Date.now() + 60_000;
  while (!replica.logs.some(match)) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; log:\n${replica.logs.map((l) => JSON.stringify(l)).join("\n")}`,
      );
    }
    if (replica.child.exitCode !== null) throw new Error(`${replica.name} exited: ${replica.stderr()}`);
    await sleep(100);
  }
  return replica.logs.find(match) as Record<string, unknown>;
};

describe("runner: scheduled backups, GC and shutdown", () => {
  test("a scheduled backup script writes Velero-named, labelled backups to MinIO; GC removes expired ones", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "runner-shop");
    await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace },
      data: { color: "blue" },
    });
    const { minio } = await testEnv();
    const bucket = await tempBucket();
    const dir = scriptsDir({
      // an item action from one script applies to the backups of another (Velero's plugins, as code)
      "mark-configmaps.ts": `import { registerBackupItemAction } from "stowage";
registerBackupItemAction({
  name: "example.io/mark-configmaps",
  appliesTo: { resources: ["configmaps"] },
  execute: ({ item }) => ({ item: { ...item, metadata: { ...item.metadata, annotations: { ...item.metadata?.annotations, "example.io/seen-by": "runner" } } } }),
});
`,
      "shop-nightly.ts": `import { connect, schedule, scheduledBackup, storeFromEnv } from "stowage";
const cluster = await connect();
schedule({
  name: "shop-nightly",
  cron: "*/2 * * * * *",
  run: scheduledBackup({ cluster, store: storeFromEnv(), includedNamespaces: [process.env.SHOP_NAMESPACE as string], ttl: "1s" }),
});
// kept for an hour: what the assertions below read while GC removes the short-lived ones
schedule({
  name: "shop-keep",
  cron: "1-59/2 * * * * *",
  run: scheduledBackup({ cluster, store: storeFromEnv(), includedNamespaces: [process.env.SHOP_NAMESPACE as string], ttl: "1h" }),
});
`,
    });
    const runner = await startReplica(
      "runner-gc",
      [
        "--scripts",
        dir,
        "--namespace",
        namespace,
        "--store",
        `s3://${bucket}/velero`,
        "--s3-endpoint",
        minio.endpoint,
        "--gc-interval",
        "2s",
      ],
      { ...(await minioEnv()), SHOP_NAMESPACE: namespace },
    );
    const finished = await waitForLog(
      runner,
      "a finished run",
      (l) => l.msg === "run finished" && l.schedule === "shop-nightly",
    );
    assert.equal(finished.outcome, "succeeded");
    await waitForLog(runner, "a kept backup", (l) => l.msg === "run finished" && l.schedule === "shop-keep");
    assert.ok((finished.items as number) >= 2, `items: ${finished.items}`);
    const deleted = await waitForLog(runner, "a GC deletion", (l) => l.msg === "expired backup deleted");
    assert.match(String(deleted.backup), /^shop-nightly-\d{14}$/);

    const store = s3Store({
      bucket,
      prefix: "velero",
      endpoint: minio.endpoint,
      forcePathStyle: true,
      region: minio.region,
      credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
    });
    const backups = (await listBackups(store)).filter((b) => b.metadata?.name?.startsWith("shop-keep-"));
    assert.ok(backups.length >= 1);
    for (const b of backups) {
      assert.match(b.metadata?.name ?? "", /^shop-keep-\d{14}$/);
      assert.equal(b.metadata?.labels?.["velero.io/schedule-name"], "shop-keep");
      // the name is the tick in UTC: yyyyMMddHHmmss of an odd second
      assert.equal(Number((b.metadata?.name ?? "").slice(-2)) % 2, 1);
    }
    const newest = backups[0]?.metadata?.name ?? "";
    const archive = await extractArchive(await openCatalog(store).getBackupContents(newest));
    try {
      const ref = [...archive.items()].find((r) => r.groupResource === "configmaps" && r.name === "settings");
      assert.ok(ref, `no ConfigMap settings in ${newest}`);
      const item = (await archive.readItem(ref)) as KubeObject;
      assert.equal(item.metadata?.annotations?.["example.io/seen-by"], "runner");
    } finally {
      await archive.cleanup();
    }
    const metrics = await (await fetch(`${runner.url}/metrics`)).text();
    assert.match(metrics, /^stowage_gc_backups_deleted_total [1-9]\d*$/m);
    assert.match(metrics, /^stowage_schedule_items\{schedule="shop-nightly"\} [1-9]\d*$/m);
    runner.child.kill("SIGTERM");
    assert.equal((await runner.exited).code, 0, runner.stderr());
  });

  test("SIGTERM: no new runs, the running one gets the grace period, then is aborted and recorded failed", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "runner-term");
    const dir = scriptsDir({
      "slow.ts": `import { schedule } from "stowage";
schedule({
  name: "slow",
  cron: "* * * * * *",
  run: (run) => new Promise((resolve, reject) => {
    run.signal.addEventListener("abort", () => reject(new Error("stopped before completion, nothing written")));
  }),
});
`,
    });
    const runner = await startReplica("runner-term", [
      "--scripts",
      dir,
      "--namespace",
      namespace,
      "--grace-period",
      "1s",
    ]);
    await waitForLog(runner, "the slow run to start", (l) => l.msg === "run started");
    const signalled = Date.now();
    runner.child.kill("SIGTERM");
    const exit = await runner.exited;
    const tookMs = Date.now() - signalled;
    assert.equal(exit.code, 0, runner.stderr());
    assert.ok(tookMs >= 900 && tookMs < 15_000, `stopped after ${tookMs} ms`);
    const failed = runner.logs.find((l) => l.msg === "run failed");
    assert.ok(failed, "no failed run logged");
    assert.equal(failed.outcome, "failed");
    assert.match(
      String(failed.error),
      /^aborted \(shutting down: the 1000 ms grace period is over\): stopped before completion/,
    );
    const stopping = runner.logs.findIndex((l) => l.msg === "runner stopping");
    assert.deepEqual(runner.logs[stopping]?.running, ["slow"]);
    assert.equal(
      runner.logs.slice(stopping).filter((l) => l.msg === "run started").length,
      0,
      "a run started after SIGTERM",
    );
  });
});

describe("runner: scripts that call process.exit", () => {
  test("process.exit while loading (sync or after top-level await) or inside a run fails that script or run; the runner and the good schedule go on", async () => {
    const cluster = await connectTest();
    const namespace = await makeNamespace(cluster, "runner-exit");
    const runsFile = `${tempDir("stowage-runs-")}/runs.log`;
    writeFileSync(runsFile, "");
    const dir = scriptsDir({
      // the example copied as it is: no arguments in the runner, so it exits 2 on its usage error
      "restore-into-namespace.ts": readFileSync(
        join(repoRoot, "examples", "restore-into-namespace.ts"),
        "utf8",
      ),
      "exits-later.ts": `import { schedule } from "stowage";
await new Promise((resolve) => setTimeout(resolve, 20));
schedule({ name: "never-registered", cron: "* * * * * *", run: () => {} });
process.exit(3);
`,
      "exits-in-run.ts": `import { schedule } from "stowage";
schedule({
  name: "exits-in-run",
  cron: "* * * * * *",
  run: async () => {
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.exit(4);
  },
});
`,
      // exits nobody can catch: from a timer and from a promise nobody awaits, at load and in a run
      "detached.ts": `import { schedule } from "stowage";
setTimeout(() => process.exit(6), 300);
void (async () => {
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.exit(7);
})();
schedule({
  name: "exits-detached",
  cron: "* * * * * *",
  run: () => {
    setTimeout(() => process.exit(5), 10);
  },
});
`,
      "good.ts": `import { appendFileSync } from "node:fs";
import { schedule } from "stowage";
schedule({ name: "good", cron: "* * * * * *", run: (run) => { ${RECORD_RUN}; } });
`,
    });
    const runner = await startReplica("runner-exit", [`--scripts=${dir}`, `--namespace=${namespace}`], {
      RUNS_FILE: runsFile,
    });
    const ready = (await (await fetch(`${runner.url}/readyz`)).json()) as {
      scripts: { loaded: string[]; failed: { path: string; error: string }[] };
    };
    assert.deepEqual(ready.scripts.loaded.sort(), [
      `${dir}/detached.ts`,
      `${dir}/exits-in-run.ts`,
      `${dir}/good.ts`,
    ]);
    const failed = Object.fromEntries(
      ready.scripts.failed.map((f) => [f.path.slice(dir.length + 1), f.error]),
    );
    assert.deepEqual(Object.keys(failed).sort(), ["exits-later.ts", "restore-into-namespace.ts"]);
    assert.match(
      failed["restore-into-namespace.ts"] ?? "",
      /called process\.exit\(2\).*the call was refused/,
    );
    assert.match(failed["exits-later.ts"] ?? "", /called process\.exit\(3\)/);

    const exitedRun = await waitForLog(
      runner,
      "the run that calls process.exit to fail",
      (l) => l.msg === "run failed" && l.schedule === "exits-in-run",
    );
    assert.match(String(exitedRun.error), /the run of schedule "exits-in-run" called process\.exit\(4\)/);
    const refused = (code: number) =>
      waitForLog(
        runner,
        `the refused detached process.exit(${code})`,
        (l) =>
          l.msg === "a script's detached callback called process.exit: refused, the runner goes on" &&
          String(l.error).includes(`called process.exit(${code})`),
      );
    assert.match(String((await refused(5)).error), /^the run of schedule "exits-detached" called/);
    assert.equal((await refused(6)).level, "error");
    const fromLoad = String((await refused(7)).error);
    assert.ok(fromLoad.startsWith(`the script ${dir}/detached.ts called`), fromLoad);
    const failedAt = Math.max(
      Date.parse(String(exitedRun.time)),
      ...runner.logs
        .filter((l) => /detached callback/.test(String(l.msg)))
        .map((l) => Date.parse(String(l.time))),
    );
    // the runner is still there, and the good schedule keeps ticking after the failed run
    await waitForLog(
      runner,
      "a good run after the failed one",
      (l) => l.msg === "run finished" && l.schedule === "good" && Date.parse(String(l.time)) > failedAt,
    );
    assert.equal(runner.child.exitCode, null, runner.stderr());
    assert.ok(readRuns(runsFile).some((r) => r.schedule === "good"));
    runner.child.kill("SIGTERM");
    assert.equal((await runner.exited).code, 0, runner.stderr());
  });
});
