import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { connectTest, makeNamespace } from "../support/kube.ts";

describe("paginated LIST", () => {
  test("1,500 ConfigMaps with page size 100 come back exactly once, with apiVersion and kind", async () => {
    const cluster = await connectTest({ concurrency: 32 });
    const namespace = await makeNamespace(cluster, "list");
    await Promise.all(
      Array.from({ length: 1500 }, (_, i) =>
        cluster.create(
          "configmaps",
          {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `cm-${i}`, labels: { parity: i % 2 ? "odd" : "even" } },
            data: { i: String(i) },
          },
          { namespace },
        ),
      ),
    );
    let pages = 0;
    const names: string[] = [];
    for await (const page of cluster.listPages("configmaps", {
      namespace,
      limit: 100,
      labelSelector: "parity",
    })) {
      pages++;
      assert.ok(page.items.length <= 100);
      for (const item of page.items) {
        assert.equal(item.apiVersion, "v1");
        assert.equal(item.kind, "ConfigMap");
        names.push(item.metadata!.name!);
      }
    }
    // label selectors filter after the page is cut, so pages may hold fewer than `limit` items
    assert.ok(pages >= 15, `${pages} pages`);
    assert.equal(names.length, 1500);
    assert.equal(new Set(names).size, 1500);

    const odd = await cluster.list("configmaps", { namespace, labelSelector: "parity=odd", limit: 250 });
    assert.equal(odd.length, 750);
    const one = await cluster.list("configmaps", { namespace, fieldSelector: "metadata.name=cm-7" });
    assert.deepEqual(
      one.map((o) => o.metadata?.name),
      ["cm-7"],
    );
    // across all namespaces
    const all = await cluster.list("configmaps", { labelSelector: "parity=even", limit: 500 });
    assert.ok(all.filter((o) => o.metadata?.namespace === namespace).length === 750);
  });
});
