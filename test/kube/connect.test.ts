import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, connect, ForbiddenError, KubeUnreachableError } from "../../lib/index.ts";
import { testEnv } from "../support/env.ts";
import { freePort } from "../support/processes.ts";

const scratch = mkdtempSync(join(tmpdir(), "stowage-connect-"));

describe("connect()", () => {
  test("a kubeconfig path, its context, and the server version", async () => {
    const env = await testEnv();
    const cluster = await connect({ kubeconfig: env.kube.kubeconfig, context: "stowage-local" });
    try {
      assert.equal(cluster.server, env.kube.server);
      assert.equal(cluster.context, "stowage-local");
      assert.equal(cluster.namespace, "default");
      assert.equal((await cluster.version()).gitVersion, "v1.35.4");
    } finally {
      cluster.close();
    }
  });

  test("KUBECONFIG with several files is merged, the first file's current-context wins", async () => {
    const env = await testEnv();
    const other = join(scratch, "other.kubeconfig");
    writeFileSync(
      other,
      "apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: x, user: {token: t}}]\ncontexts: [{name: other, context: {cluster: x, user: x}}]\ncurrent-context: other\n",
    );
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = [env.kube.kubeconfig, other].join(delimiter);
    try {
      const cluster = await connect();
      assert.equal(cluster.context, "stowage-local");
      cluster.close();
      await assert.rejects(connect({ context: "other", retry: { attempts: 1 } }), KubeUnreachableError);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  test("clear errors: missing file, invalid YAML, unknown context, unreachable server, forbidden", async () => {
    await assert.rejects(connect({ kubeconfig: join(scratch, "nope") }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /kubeconfig ".*nope" does not exist/);
      return true;
    });
    const bad = join(scratch, "bad.kubeconfig");
    writeFileSync(bad, "clusters: [this is: not: valid");
    await assert.rejects(connect({ kubeconfig: bad }), /is not a valid kubeconfig/);
    const env = await testEnv();
    await assert.rejects(connect({ kubeconfig: env.kube.kubeconfig, context: "prod" }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /context "prod" is not in the kubeconfig: expected one of \[stowage-local\]/,
      );
      return true;
    });
    const port = await freePort();
    const dead = join(scratch, "dead.kubeconfig");
    writeFileSync(
      dead,
      `apiVersion: v1\nkind: Config\nclusters: [{name: d, cluster: {server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]\nusers: [{name: d, user: {token: t}}]\ncontexts: [{name: d, context: {cluster: d, user: d}}]\ncurrent-context: d\n`,
    );
    await assert.rejects(
      connect({ kubeconfig: dead, retry: { attempts: 2, baseDelayMs: 10 } }),
      (error: unknown) => {
        assert.ok(error instanceof KubeUnreachableError);
        assert.match(
          error.message,
          new RegExp(`cannot reach the Kubernetes API server at https://127.0.0.1:${port}`),
        );
        return true;
      },
    );
    // an identity without RBAC: connects (version is public) but cannot list
    const limited = await connect({ kubeconfig: env.kube.limitedKubeconfig });
    try {
      await assert.rejects(limited.list("secrets", { namespace: "default" }), (error: unknown) => {
        assert.ok(error instanceof ForbiddenError);
        assert.match(error.message, /stowage-limited/);
        return true;
      });
    } finally {
      limited.close();
    }
  });
});

describe("connect() and the CLI's environment", () => {
  test("STOWAGE_KUBECONFIG and STOWAGE_CONTEXT are honoured (as `stowage run` sets them)", async () => {
    const env = await testEnv();
    const saved = {
      k: process.env.STOWAGE_KUBECONFIG,
      c: process.env.STOWAGE_CONTEXT,
      kc: process.env.KUBECONFIG,
    };
    process.env.STOWAGE_KUBECONFIG = env.kube.kubeconfig;
    process.env.KUBECONFIG = join(scratch, "does-not-exist");
    process.env.STOWAGE_CONTEXT = "stowage-local";
    try {
      const cluster = await connect();
      assert.equal(cluster.server, env.kube.server);
      cluster.close();
      process.env.STOWAGE_CONTEXT = "missing";
      await assert.rejects(connect(), /context "missing" is not in the kubeconfig.*STOWAGE_CONTEXT/);
    } finally {
      for (const [name, value] of [
        ["STOWAGE_KUBECONFIG", saved.k],
        ["STOWAGE_CONTEXT", saved.c],
        ["KUBECONFIG", saved.kc],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe("connect() fails fast on an unreachable server", () => {
  test("the reachability check uses a short retry budget, whatever the connection's policy", async () => {
    const port = await freePort();
    const dead = join(scratch, "dead2.kubeconfig");
    writeFileSync(
      dead,
      `apiVersion: v1\nkind: Config\nclusters: [{name: d, cluster: {server: 'https://127.0.0.1:${port}', insecure-skip-tls-verify: true}}]\nusers: [{name: d, user: {token: t}}]\ncontexts: [{name: d, context: {cluster: d, user: d}}]\ncurrent-context: d\n`,
    );
    const attempts: number[] = [];
    await assert.rejects(
      connect({
        kubeconfig: dead,
        retry: { attempts: 10, baseDelayMs: 10 },
        onRetry: (e) => attempts.push(e.attempt),
      }),
      KubeUnreachableError,
    );
    assert.deepEqual(attempts, [1, 2], "three attempts in all, not the connection's ten");
  });
});
