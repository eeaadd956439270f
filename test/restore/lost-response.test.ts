import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backup, connect, restore } from "../../lib/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { loseFirstPostTo, startLossyProxy } from "../support/flaky-proxy.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";

describe("restore when the apiserver's answer to a create is lost", () => {
  test("a created item whose answer is lost is reported created, exists once and gets its status back", async () => {
    const admin = await connectTest();
    const ns = await makeNamespace(admin, "lostsrc");
    await admin.create(
      "services",
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web" },
        spec: { type: "LoadBalancer", ports: [{ port: 80 }], selector: { app: "web" } },
      },
      { namespace: ns },
    );
    const live = await admin.get("services", "web", { namespace: ns });
    await admin.update(
      "services",
      { ...live, status: { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } } },
      { namespace: ns, subresource: "status" },
    );
    const store = tempFsStore();
    const backupName = `lost-${uniqueSuffix()}`;
    await backup({ cluster: admin, store, name: backupName, includedNamespaces: [ns] });

    const target = `${ns}-r`;
    onCleanup(() => admin.delete("namespaces", target).catch(() => undefined));
    // the apiserver creates the target namespace and the Service, but their answers never arrive
    const { kubeconfig, seen } = await startLossyProxy(
      loseFirstPostTo([`/api/v1/namespaces`, `/api/v1/namespaces/${target}/services`]),
    );
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 } });
    onCleanup(() => cluster.close());

    const r = await restore({
      cluster,
      store,
      backupName,
      namespaceMapping: { [ns]: target },
      restoreStatus: { includedResources: ["services"] },
    });

    assert.equal(r.phase, "Completed", JSON.stringify({ errors: r.errors, warnings: r.warnings }));
    assert.deepEqual(r.warnings, {}, "no 'already exists' warning");
    const service = r.plan.find((e) => e.resource === "services" && e.name === "web");
    assert.equal(service?.action, "create", JSON.stringify(service));
    const namespace = r.plan.find((e) => e.resource === "namespaces");
    assert.equal(namespace?.action, "create", JSON.stringify(namespace));

    const lost = seen.filter((s) => s.plan === "lose-response");
    assert.deepEqual(
      lost.map((s) => [s.url.split("?")[0], s.status]),
      [
        ["/api/v1/namespaces", 201],
        [`/api/v1/namespaces/${target}/services`, 201],
      ],
      "both creates were committed by the apiserver and their answers lost",
    );
    assert.equal(
      seen.filter((s) => s.method === "POST" && s.url.startsWith(`/api/v1/namespaces/${target}/services`))
        .length,
      1,
      "the Service create was not repeated",
    );
    const services = await admin.list("services", { namespace: target });
    assert.deepEqual(
      services.map((s) => s.metadata?.name),
      ["web"],
    );
    // the status stage ran for the adopted create
    const status = services[0]?.status as { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined;
    assert.equal(status?.loadBalancer?.ingress?.[0]?.ip, "203.0.113.7");
  });
});
