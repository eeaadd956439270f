import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backup } from "../../lib/index.ts";
import { decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

describe("backup() at scale", () => {
  test("10,000 ConfigMaps across 20 namespaces: all backed up, memory stays bounded", async () => {
    const cluster = await connectTest({ concurrency: 32 });
    const namespaces: string[] = [];
    for (let i = 0; i < 20; i++)
      namespaces.push(await makeNamespace(cluster, `scale${i}`, { "stowage.dev/test": "scale" }));
    const payload = "x".repeat(1024);
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        cluster.create(
          "configmaps",
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `cm-${i}`, labels: { app: "scale" } },
            data: { payload, i: String(i) },
          },
          { namespace: namespaces[i % 20]! },
        ),
      ),
    );
    const store = tempFsStore();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const result = await backup({
      cluster,
      store,
      name: "scale",
      includedNamespaces: namespaces,
      includedResources: ["configmaps"],
      labelSelector: "app=scale",
    }).finally(() => clearInterval(sampler));
    assert.equal(result.phase, "Completed");
    assert.equal(result.counts.itemsBackedUp, 10_000);
    const list = (await decodeJsonGz(
      await getBuffer(store, "backups/scale/scale-resource-list.json.gz"),
    )) as Record<string, string[]>;
    assert.equal(new Set(list["v1/ConfigMap"]).size, 10_000);
    const growthMb = (peak - baseline) / 2 ** 20;
    process.stdout.write(
      `# 10k backup: peak RSS ${(peak / 2 ** 20).toFixed(0)} MB (growth ${growthMb.toFixed(0)} MB) in ${result.durationMs} ms\n`,
    );
    // ~12 MB of item JSON: a buffering engine would grow by far more than this bound
    assert.ok(growthMb < 150, `RSS grew by ${growthMb.toFixed(0)} MB during the backup`);
  });
});
