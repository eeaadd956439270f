import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join } from "node:path";
import { describe, test } from "node:test";
import { AmbiguousRequestError, connect, createReconciled, type RetryEvent } from "../../lib/index.ts";
import { backoffDelay, parseRetryAfter, resolveRetryOptions } from "../../lib/kube/retry.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import {
  freePort,
  type LossPlan,
  relayKubeconfig,
  startLossyProxy,
  startTcpRelay,
} from "../support/flaky-proxy.ts";
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

  test("429 with Retry-After, 503 and a dropped connection: every GET, PATCH and LIST still succeeds", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "retry");
    for (let i = 0; i < 12; i++) {
      await admin.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `r-${i}` } },
        { namespace },
      );
    }
    // every third request faults, cycling through the kinds
    const kinds: Fault[] = ["429", "503", "drop"];
    const { kubeconfig, arrivals } = await startProxy((_req, n) =>
      n % 3 === 1 ? kinds[Math.floor(n / 3) % 3] : undefined,
    );
    const events: RetryEvent[] = [];
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 }, onRetry: (e) => events.push(e) });
    onCleanup(() => cluster.close());
    for (let i = 0; i < 12; i++) {
      assert.equal((await cluster.get("configmaps", `r-${i}`, { namespace })).metadata?.name, `r-${i}`);
      await cluster.patch("configmaps", `r-${i}`, { data: { ok: `${i}` } }, { namespace });
    }
    const listed = await cluster.list("configmaps", { namespace, limit: 5 });
    assert.equal(listed.filter((o) => o.metadata?.name?.startsWith("r-")).length, 12);
    assert.deepEqual((await admin.get("configmaps", "r-0", { namespace })).data, { ok: "0" });

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

describe("a create is repeated only when it provably did not reach the server", () => {
  const configMap = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } });

  test("a create whose answer is lost after the apiserver committed it is not repeated: AmbiguousRequestError, one object", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "lost");
    let lost = false;
    const { kubeconfig, seen } = await startLossyProxy((req) => {
      if (req.method !== "POST" || lost) return "forward";
      lost = true;
      return "lose-response";
    });
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 } });
    onCleanup(() => cluster.close());
    const error = await cluster.create("configmaps", configMap("once"), { namespace }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof AmbiguousRequestError, `expected AmbiguousRequestError, got ${String(error)}`);
    assert.equal(error.code, "ERR_KUBE_OUTCOME_UNKNOWN");
    assert.equal(error.status, undefined, "the connection broke: no status");
    assert.match(error.message, /POST \/api\/v1\/namespaces\/.+\/configmaps: the outcome is unknown/);
    const posts = seen.filter((r) => r.method === "POST");
    assert.deepEqual(
      posts.map((r) => [r.plan, r.status]),
      [["lose-response", 201]],
      "one POST, committed by the apiserver, never repeated",
    );
    assert.ok(await admin.get("configmaps", "once", { namespace }));
  });

  test("a create answered 503 is not repeated; createReconciled reads back and creates again, or adopts its own", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "amb");
    const faults: LossPlan[] = ["503", "503", "forward", "lose-response"];
    const { kubeconfig, seen } = await startLossyProxy((req) =>
      req.method === "POST" ? (faults.shift() ?? "forward") : "forward",
    );
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 } });
    onCleanup(() => cluster.close());
    // a plain create surfaces the 503 as an unknown outcome
    const error = await cluster.create("configmaps", configMap("plain"), { namespace }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof AmbiguousRequestError, `expected AmbiguousRequestError, got ${String(error)}`);
    assert.equal(error.status, 503);
    assert.equal(await admin.tryGet("configmaps", "plain", { namespace }), undefined);
    // the reconciling create: 503 → read back, absent → created again
    const made = await createReconciled(cluster, "configmaps", configMap("again"), {
      namespace,
      isOurs: () => true,
    });
    assert.equal(made.adopted, false);
    assert.equal(made.object.metadata?.name, "again");
    // answer lost after commit → read back, ours → adopted, not created twice
    const marked = { ...configMap("adopted"), data: { run: "r1" } };
    const adopted = await createReconciled(cluster, "configmaps", marked, {
      namespace,
      isOurs: (found) => (found.data as Record<string, string> | undefined)?.run === "r1",
    });
    assert.equal(adopted.adopted, true);
    assert.ok(adopted.object.metadata?.uid);
    assert.deepEqual(
      seen.filter((r) => r.method === "POST").map((r) => r.plan),
      ["503", "503", "forward", "lose-response"],
    );
  });

  test("a create meeting a refused connection is retried, over TLS passed through unchanged", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "refused");
    const port = await freePort();
    const events: RetryEvent[] = [];
    let relay: Promise<void> | undefined;
    const cluster = await connect({
      kubeconfig: await relayKubeconfig(port),
      verify: false,
      retry: { baseDelayMs: 50 },
      onRetry: (event) => {
        events.push(event);
        relay ??= startTcpRelay(port);
      },
    });
    onCleanup(() => cluster.close());
    const response = await cluster.request({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/configmaps`,
      body: configMap("after-refusal"),
    });
    assert.equal(response.status, 201);
    await relay;
    assert.equal(events[0]?.method, "POST");
    assert.match(events[0]?.error ?? "", /ECONNREFUSED/);
    assert.ok(await admin.get("configmaps", "after-refusal", { namespace }));
  });

  test("a create answered 429 is retried after Retry-After (the apiserver rejects it before handling)", async () => {
    const admin = await connectTest();
    const namespace = await makeNamespace(admin, "throttled");
    let throttled = false;
    const { kubeconfig, arrivals } = await startProxy((req) => {
      if (req.method !== "POST" || throttled) return undefined;
      throttled = true;
      return "429";
    });
    const events: RetryEvent[] = [];
    const cluster = await connect({ kubeconfig, onRetry: (e) => events.push(e) });
    onCleanup(() => cluster.close());
    await cluster.create("configmaps", configMap("throttled"), { namespace });
    assert.deepEqual(
      events.map((e) => [e.method, e.status, e.retryAfterMs]),
      [["POST", 429, 1000]],
    );
    assert.equal(arrivals.filter((a) => a.method === "POST").length, 2);
    assert.ok(await admin.get("configmaps", "throttled", { namespace }));
  });
});
