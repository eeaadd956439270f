import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { describe, test } from "node:test";
import { connect, type RetryEvent } from "../../lib/index.ts";
import { backoffDelay, parseRetryAfter, resolveRetryOptions } from "../../lib/kube/retry.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";

type Fault = "429" | "503" | "drop" | "410";

/**
 * A fault-injecting proxy in front of the real apiserver: `plan(req)` decides, per request, whether
 * to answer with a fault or forward. Records when each request arrived.
 */
const startProxy = async (plan: (req: http.IncomingMessage, n: number) => Fault | undefined) => {
  const env = await testEnv();
  const upstream = new URL(env.kube.server);
  const ca = readFileSync(env.kube.caFile);
  const arrivals: Array<{ at: number; method: string; url: string; fault: Fault | undefined }> = [];
  const server = http.createServer((req, res) => {
    const fault = plan(req, arrivals.length);
    arrivals.push({ at: Date.now(), method: req.method ?? "", url: req.url ?? "", fault });
    if (fault === "drop") {
      req.socket.destroy();
      return;
    }
    if (fault === "429" || fault === "503" || fault === "410") {
      const status = Number(fault);
      const reason = status === 429 ? "TooManyRequests" : status === 410 ? "Expired" : "ServiceUnavailable";
      res.writeHead(status, {
        "Content-Type": "application/json",
        ...(status === 429 ? { "Retry-After": "1" } : {}),
      });
      res.end(
        JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason,
          code: status,
          message: `injected ${status}`,
        }),
      );
      return;
    }
    const forward = https.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        ca,
        agent: false, // no pooled sockets left open after the test
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = join(env.dir, `proxy-${port}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: proxy, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]
users: [{name: admin, user: {token: "${env.kube.adminToken}"}}]
contexts: [{name: proxy, context: {cluster: proxy, user: admin}}]
current-context: proxy
`,
  );
  onCleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  return { kubeconfig, arrivals };
};

describe("retries with backoff, honouring Retry-After", () => {
  test("Retry-After parsing and backoff bounds", () => {
    assert.equal(parseRetryAfter("1"), 1000);
    assert.equal(parseRetryAfter("2.5"), 2500);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
    const now = Date.parse("2026-11-22T03:00:00Z");
    assert.equal(parseRetryAfter("Sun, 22 Nov 2026 03:00:05 GMT", now), 5000);
    const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 3000 });
    assert.equal(backoffDelay(1, options, 2000), 2000);
    assert.equal(backoffDelay(1, options, 10_000), 3000, "Retry-After is capped");
    for (let retry = 1; retry <= 8; retry++) {
      const ceiling = Math.min(1000, 100 * 2 ** (retry - 1));
      assert.equal(
        backoffDelay(retry, options, undefined, () => 0),
        ceiling / 2,
      );
      assert.equal(
        backoffDelay(retry, options, undefined, () => 1),
        ceiling,
      );
    }
  });

  test("429 with Retry-After, 503 and a dropped connection: every operation still succeeds", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "retry");
    // every third request faults, cycling through the kinds
    const kinds: Fault[] = ["429", "503", "drop"];
    const { kubeconfig, arrivals } = await startProxy((_req, n) =>
      n % 3 === 1 ? kinds[Math.floor(n / 3) % 3] : undefined,
    );
    const events: RetryEvent[] = [];
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 }, onRetry: (e) => events.push(e) });
    onCleanup(() => cluster.close());
    for (let i = 0; i < 12; i++) {
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `r-${i}` } },
        { namespace },
      );
    }
    const listed = await cluster.list("configmaps", { namespace, limit: 5 });
    assert.equal(listed.filter((o) => o.metadata?.name?.startsWith("r-")).length, 12);
    await cluster.patch("configmaps", "r-0", { data: { ok: "yes" } }, { namespace });
    assert.deepEqual((await admin.get("configmaps", "r-0", { namespace })).data, { ok: "yes" });

    const faults = arrivals.filter((a) => a.fault);
    for (const kind of ["429", "503", "drop"] as const)
      assert.ok(
        faults.some((f) => f.fault === kind),
        `saw a ${kind}`,
      );
    assert.equal(events.length, faults.length, "one retry per injected fault");
    // every 429 was followed by a wait of at least its Retry-After (1 s)
    const throttled = events.filter((e) => e.status === 429);
    assert.ok(throttled.length > 0);
    for (const e of throttled) assert.equal(e.delayMs, 1000);
    arrivals.forEach((a, i) => {
      if (a.fault === "429") {
        const next = arrivals.slice(i + 1).find((b) => b.method === a.method && b.url === a.url);
        assert.ok(next, "the throttled request was retried");
        assert.ok(next.at - a.at >= 950, `retry came ${next.at - a.at} ms after the 429`);
      }
    });
    assert.ok(events.some((e) => e.status === 503 && e.delayMs < 1000));
    assert.ok(
      events.some((e) => e.error !== undefined),
      "dropped connections are retried",
    );
  });

  test("an expired continue token (410) restarts the LIST and yields every object exactly once", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "expire");
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        admin.create(
          "configmaps",
          { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `e-${i}` } },
          { namespace },
        ),
      ),
    );
    let expired = 0;
    const { kubeconfig } = await startProxy((req) => {
      if (req.url?.includes("continue=") && expired < 2) {
        expired++;
        return "410";
      }
      return undefined;
    });
    const cluster = await connect({ kubeconfig });
    onCleanup(() => cluster.close());
    const names: string[] = [];
    let restarted = false;
    for await (const page of cluster.listPages("configmaps", { namespace, limit: 7 })) {
      restarted ||= page.restarted;
      for (const item of page.items) names.push(item.metadata!.name!);
    }
    assert.equal(expired, 2);
    assert.ok(restarted);
    const ours = names.filter((n) => n.startsWith("e-"));
    assert.equal(ours.length, 30);
    assert.equal(new Set(ours).size, 30);
  });

  test("a 4xx other than 429 is not retried", async () => {
    let requests = 0;
    const { kubeconfig } = await startProxy(() => {
      requests++;
      return undefined;
    });
    const cluster = await connect({ kubeconfig });
    onCleanup(() => cluster.close());
    await cluster.discovery();
    const before = requests;
    await assert.rejects(cluster.get("configmaps", "does-not-exist", { namespace: "default" }));
    assert.equal(requests - before, 1);
  });
});
