/**
 * Run-level hooks of backup() (`hooks.before` / `hooks.after`, Velero issue #3542) against the real
 * apiserver and real stores: try/finally semantics under success, a failing item, an unreachable store
 * and an abort; `before` throwing stops the run before anything is written.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  type BackupItemAction,
  type BackupResult,
  backup,
  type Cluster,
  type ObjectStore,
  s3Store,
  ValidationError,
} from "../../lib/index.ts";
import { getBuffer } from "../../lib/store/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { minioClientConfig } from "../support/minio.ts";
import { tempFsStore } from "../support/stores.ts";

const keysOf = async (store: ObjectStore): Promise<string[]> => {
  const keys: string[] = [];
  for await (const key of store.list("")) keys.push(key);
  return keys.sort();
};

const seed = async (cluster: Cluster, prefix: string): Promise<string> => {
  const ns = await makeNamespace(cluster, prefix);
  for (const name of ["settings", "bad"]) {
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: name } },
      { namespace: ns },
    );
  }
  return ns;
};

/**
 * A MinIO bucket reached through a TCP relay the test can take away: `cut()` closes the relay and every
 * connection through it, so the store becomes unreachable mid-run.
 */
const cuttableS3Store = async (): Promise<{ store: ObjectStore; cut: () => void }> => {
  const env = await testEnv();
  const bucket = `stowage-${uniqueSuffix()}`;
  const client = new S3Client(minioClientConfig({ ...env.minio, region: "us-east-1" }));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const upstream = new URL(env.minio.endpoint);
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((inbound) => {
    const outbound = net.connect(Number(upstream.port), upstream.hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const cut = () => {
    relay.close();
    for (const socket of sockets) socket.destroy();
  };
  onCleanup(cut);
  const { port } = relay.address() as net.AddressInfo;
  const store = s3Store({
    bucket,
    prefix: "velero",
    region: env.minio.region,
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: env.minio.accessKey, secretAccessKey: env.minio.secretKey },
  });
  return { store, cut };
};

const explodeOnBad: BackupItemAction = {
  name: "test.stowage.dev/explode-on-bad",
  appliesTo: { resources: ["configmaps"] },
  execute: ({ item }) => {
    if (item.metadata?.name === "bad") throw new Error("boom");
    return { item };
  },
};

describe("backup() run-level hooks (real apiserver and stores)", () => {
  test("before runs before anything is written, after gets the Completed result once it is recorded", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-ok");
    const store = tempFsStore();
    const name = `${ns}-b`;
    const seen: string[] = [];
    let keysAtBefore: string[] | undefined;
    let keysAtAfter: string[] | undefined;
    let afterGot: { result: BackupResult | undefined; error: unknown } | undefined;
    const result = await backup({
      cluster,
      store,
      name,
      includedNamespaces: [ns],
      hooks: {
        before: async ({ cluster: c, name: n, options, signal }) => {
          seen.push(`before ${n}`);
          assert.equal(c, cluster);
          assert.deepEqual(options.includedNamespaces, [ns]);
          assert.equal(signal.aborted, false);
          keysAtBefore = await keysOf(store);
        },
        after: async ({ result, error, name: n }) => {
          seen.push(`after ${n}`);
          afterGot = { result, error };
          keysAtAfter = await keysOf(store);
        },
      },
    });
    assert.deepEqual(seen, [`before ${name}`, `after ${name}`]);
    assert.deepEqual(keysAtBefore, [], "before ran before the backup wrote anything");
    assert.ok(keysAtAfter?.includes(`backups/${name}/velero-backup.json`), "after ran once it was recorded");
    assert.equal(afterGot?.error, undefined);
    assert.equal(afterGot?.result?.phase, "Completed");
    assert.equal(afterGot?.result?.name, name);
    assert.equal(result.phase, "Completed");
    assert.equal(result.runHooks?.before?.ok, true);
    assert.equal(result.runHooks?.after?.ok, true);
    const log = gunzipSync(await getBuffer(store, `backups/${name}/${name}-logs.gz`)).toString();
    assert.match(log, /msg="run hook before succeeded".* hook=before/);
  });

  test("before throws: nothing is written, the error names the hook, after does not run", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-refuse");
    const store = tempFsStore();
    let afterRan = false;
    await assert.rejects(
      backup({
        cluster,
        store,
        name: `${ns}-b`,
        includedNamespaces: [ns],
        hooks: {
          before: () => {
            throw new Error("the maintenance window is closed");
          },
          after: () => {
            afterRan = true;
          },
        },
      }),
      (error: Error & { code?: string; hook?: string }) => {
        assert.equal(error.code, "ERR_HOOK");
        assert.equal(error.hook, "before");
        assert.match(error.message, new RegExp(`^backup "${ns}-b" did not run: its hooks\\.before failed`));
        assert.match(error.message, /the maintenance window is closed/);
        assert.match(error.message, /Nothing was written/);
        return true;
      },
    );
    assert.equal(afterRan, false);
    assert.deepEqual(await keysOf(store), [], "nothing was written to the store");
  });

  test("a failing item: the backup is PartiallyFailed and after gets that result", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-partial");
    const store = tempFsStore();
    let got: BackupResult | undefined;
    const result = await backup({
      cluster,
      store,
      name: `${ns}-b`,
      includedNamespaces: [ns],
      actions: [explodeOnBad],
      hooks: {
        after: ({ result }) => {
          got = result;
        },
      },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.equal(got?.phase, "PartiallyFailed");
    assert.match(got?.errors.namespaces?.[ns]?.[0] ?? "", /boom/);
    assert.deepEqual(result.runHooks, { after: result.runHooks?.after });
    assert.equal(result.runHooks?.after?.ok, true);
  });

  test("the store becomes unreachable after before: the backup throws, and after gets that error", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-unreach");
    const { store, cut } = await cuttableS3Store();
    let got: { result: BackupResult | undefined; error: unknown } | undefined;
    let thrown: unknown;
    await backup({
      cluster,
      store,
      name: `${ns}-b`,
      includedNamespaces: [ns],
      hooks: {
        before: () => cut(),
        after: ({ result, error }) => {
          got = { result, error };
        },
      },
    }).catch((error: unknown) => {
      thrown = error;
    });
    assert.ok(thrown instanceof Error, "the backup failed");
    assert.equal(got?.result, undefined);
    assert.equal(got?.error, thrown, "after got the error the backup threw");
  });

  test("aborted mid-run: after still runs, with its own signal, and gets the error", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-abort");
    const store = tempFsStore();
    const controller = new AbortController();
    const abortOnBad: BackupItemAction = {
      name: "test.stowage.dev/abort-on-bad",
      appliesTo: { resources: ["configmaps"] },
      execute: ({ item }) => {
        if (item.metadata?.name !== "bad") return { item };
        // cancelled while this item is backed up: the run stops here, whatever else is in flight
        controller.abort(new Error("stopped by the test"));
        throw controller.signal.reason;
      },
    };
    let afterSignalAborted: boolean | undefined;
    let got: unknown;
    let thrown: unknown;
    await backup({
      cluster,
      store,
      name: `${ns}-b`,
      includedNamespaces: [ns],
      actions: [abortOnBad],
      signal: controller.signal,
      hooks: {
        before: () => undefined,
        after: async ({ error, signal }) => {
          afterSignalAborted = signal.aborted;
          got = error;
          // cleanup that needs the cluster still works after the abort
          await cluster.get("namespaces", ns, { signal });
        },
      },
    }).catch((error: unknown) => {
      thrown = error;
    });
    assert.ok(thrown instanceof Error, "the aborted backup threw");
    assert.equal(got, thrown, "after got the error");
    assert.equal(afterSignalAborted, false, "after's own signal was not aborted with the run's");
    assert.deepEqual(await keysOf(store), [], "the aborted backup was removed");
  });

  test("aborted, and after outlives its grace: its signal aborts, and the thrown error says so", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-grace");
    const controller = new AbortController();
    let afterSawAbort = false;
    await assert.rejects(
      backup({
        cluster,
        store: tempFsStore(),
        name: `${ns}-b`,
        includedNamespaces: [ns],
        signal: controller.signal,
        hooks: {
          before: () => controller.abort(new Error("stopped by the test")),
          afterGraceMs: 300,
          after: ({ signal }) =>
            new Promise<void>((_, reject) =>
              signal.addEventListener("abort", () => {
                afterSawAbort = true;
                reject(signal.reason);
              }),
            ),
        },
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_ABORTED", "the run's own code is kept");
        assert.match(error.message, /aborted/);
        assert.match(error.message, /hooks\.after failed too: did not finish within 300 ms of the abort/);
        return true;
      },
    );
    assert.equal(afterSawAbort, true);
  });

  test("aborted while before runs: the run does not happen, after does not run", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-abort-before");
    const store = tempFsStore();
    const controller = new AbortController();
    let afterRan = false;
    await assert.rejects(
      backup({
        cluster,
        store,
        name: `${ns}-b`,
        includedNamespaces: [ns],
        signal: controller.signal,
        hooks: {
          before: ({ signal }) =>
            new Promise<void>((_, reject) => {
              signal.addEventListener("abort", () => reject(signal.reason));
              controller.abort(new Error("stopped by the test"));
            }),
          after: () => {
            afterRan = true;
          },
        },
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, "ERR_ABORTED");
        assert.match(error.message, /aborted while its hooks\.before ran/);
        return true;
      },
    );
    assert.equal(afterRan, false);
    assert.deepEqual(await keysOf(store), []);
  });

  test("after throws on a completed backup: the result is kept, PartiallyFailed, the stored backup Completed", async () => {
    const cluster = await connectTest();
    const ns = await seed(cluster, "rh-after-throws");
    const store = tempFsStore();
    const result = await backup({
      cluster,
      store,
      name: `${ns}-b`,
      includedNamespaces: [ns],
      hooks: {
        after: () => {
          throw new Error("could not scale the app back up");
        },
      },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.equal(result.counts.errors, 1);
    assert.deepEqual(result.errors.velero, ["hooks.after failed: could not scale the app back up"]);
    assert.equal(result.runHooks?.after?.ok, false);
    assert.equal(result.runHooks?.after?.error, "could not scale the app back up");
    assert.equal(result.backup.status?.phase, "Completed", "the stored backup describes its data");
    assert.ok(result.counts.itemsBackedUp > 0);
  });

  test("a hook that is not a function is refused before anything runs", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    await assert.rejects(
      backup({
        cluster,
        store,
        name: "never",
        hooks: { before: "scale down" as never, afterGraceMs: -1 },
      }),
      (error: Error) => {
        assert.ok(error instanceof ValidationError);
        assert.match(error.message, /hooks\.before must be a function/);
        assert.match(error.message, /hooks\.afterGraceMs must be a positive number/);
        return true;
      },
    );
    assert.deepEqual(await keysOf(store), []);
  });
});
