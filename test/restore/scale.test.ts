import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backup, type Cluster, type KubeObject, restore } from "../../lib/index.ts";
import { createLimiter } from "../../lib/kube/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

const COUNT = 5000;
const CONCURRENCY = 16;

const configMap = (i: number): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: `cm-${i}`, labels: { app: "restore-scale" } },
  data: { i: String(i), payload: "x".repeat(512) },
});

const countConfigMaps = async (cluster: Cluster, namespace: string) =>
  (await cluster.list("configmaps", { namespace, labelSelector: "app=restore-scale" })).length;

/**
 * Counts the creates in flight in `namespace` through this connection: the restore calls
 * `cluster.create` once per object, so the peak is how many it ran at once.
 */
const watchCreates = (cluster: Cluster, namespace: string) => {
  const original = cluster.create.bind(cluster);
  const stats = { inFlight: 0, peak: 0, calls: 0 };
  cluster.create = async (ref, object, options = {}) => {
    const counted = options.namespace === namespace && options.dryRun !== true;
    if (counted) {
      stats.calls++;
      stats.inFlight++;
      stats.peak = Math.max(stats.peak, stats.inFlight);
    }
    try {
      return await original(ref, object, options);
    } finally {
      if (counted) stats.inFlight--;
    }
  };
  const stop = () => {
    cluster.create = original;
  };
  return { stats, stop };
};

describe("restore() at scale", () => {
  test("5,000 ConfigMaps → backup → restore into a mapped namespace with concurrency 16", async () => {
    // the connection allows more than the restore asks for, so the restore's own limit is what shows
    const cluster = await connectTest({ concurrency: 2 * CONCURRENCY });
    const source = await makeNamespace(cluster, "rscale");
    const seed = createLimiter(2 * CONCURRENCY);
    await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        seed.run(() => cluster.create("configmaps", configMap(i), { namespace: source })),
      ),
    );
    assert.equal(await countConfigMaps(cluster, source), COUNT);

    const store = tempFsStore();
    const b = await backup({ cluster, store, name: `${source}-backup`, includedNamespaces: [source] });
    assert.equal(b.phase, "Completed");
    assert.ok(b.counts.itemsBackedUp >= COUNT);

    const target = `rscale-restored-${uniqueSuffix()}`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const watch = watchCreates(cluster, target);
    let result: Awaited<ReturnType<typeof restore>>;
    const restoreBegan = performance.now();
    try {
      result = await restore({
        cluster,
        store,
        backupName: `${source}-backup`,
        namespaceMapping: { [source]: target },
        concurrency: CONCURRENCY,
      });
    } finally {
      watch.stop();
    }
    const restoreMs = performance.now() - restoreBegan;
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.equal(result.counts.errors, 0);
    assert.ok(result.counts.itemsRestored >= COUNT, `itemsRestored ${result.counts.itemsRestored}`);
    assert.equal(await countConfigMaps(cluster, target), COUNT, "all 5,000 ConfigMaps are back");
    assert.equal(
      result.plan.filter(
        (e) => e.resource === "configmaps" && /^cm-\d+$/.test(e.name) && e.action === "create",
      ).length,
      COUNT,
      "5,000 creates in the plan",
    );
    assert.ok(watch.stats.calls >= COUNT, `${watch.stats.calls} creates seen`);
    assert.ok(watch.stats.peak > 1, `creates ran one at a time (peak in flight: ${watch.stats.peak})`);
    assert.ok(
      watch.stats.peak <= CONCURRENCY,
      `more than ${CONCURRENCY} creates at once (peak ${watch.stats.peak}): concurrency not honoured`,
    );

    // the same 5,000 objects created directly, with the same client and the same concurrency
    const raw = await makeNamespace(cluster, "rscale-raw");
    const limiter = createLimiter(CONCURRENCY);
    const began = performance.now();
    await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        limiter.run(() => cluster.create("configmaps", configMap(i), { namespace: raw })),
      ),
    );
    const rawMs = performance.now() - began;
    assert.equal(await countConfigMaps(cluster, raw), COUNT);

    const restoreS = restoreMs / 1000;
    const rawS = rawMs / 1000;
    process.stdout.write(
      `# restore 5000: ${restoreS.toFixed(2)}s, raw create: ${rawS.toFixed(2)}s, ratio ${(restoreS / rawS).toFixed(2)} (peak ${watch.stats.peak} creates in flight)\n`,
    );
  });
});
