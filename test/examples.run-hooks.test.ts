// The examples of run-level hooks and verify, run as a user runs them (npx tsx …) against the real
// apiserver: examples/verify-restore.ts (after examples/nightly-schedule.ts took the backup it verifies)
// and examples/quiesced-backup.ts. Kept beside test/examples.test.ts so the two can change apart.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { type Cluster, fsStore, listRestores } from "../lib/index.ts";
import { repoRoot } from "./support/binaries.ts";
import { onCleanup } from "./support/cleanup.ts";
import { testEnv } from "./support/env.ts";
import { connectTest, makeNamespace } from "./support/kube.ts";
import { readTarball } from "./support/tarball.ts";

const run = promisify(execFile);
const tsx = join(repoRoot, "node_modules", ".bin", "tsx");

/** A shop namespace (a Deployment and a ConfigMap) and its nightly backup, taken by the nightly example. */
const nightlyBackup = async (prefix: string) => {
  const env = await testEnv();
  const cluster = await connectTest();
  const ns = await makeNamespace(cluster, prefix);
  await cluster.create(
    "configmaps",
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { url: "https://shop" } },
    { namespace: ns },
  );
  await cluster.create(
    "deployments.apps",
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    },
    { namespace: ns },
  );
  onCleanup(() => cluster.delete("namespaces", `${ns}-verify`).catch(() => undefined));
  const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
  const options = {
    cwd,
    env: { ...process.env, KUBECONFIG: env.kube.kubeconfig, SHOP_NAMESPACE: ns, STOWAGE_STORE: "./backups" },
  };
  await run(tsx, [join(repoRoot, "examples", "nightly-schedule.ts"), "--now"], options);
  return { cluster, ns, cwd, options };
};

describe("examples/verify-restore.ts (npx tsx …)", () => {
  test("--now restores the nightly backup into a scratch namespace, verifies it, and deletes the namespace", async () => {
    const { cluster, ns, cwd, options } = await nightlyBackup("vrex");
    const { stdout } = await run(tsx, [join(repoRoot, "examples", "verify-restore.ts"), "--now"], {
      ...options,
      env: { ...options.env, VERIFY_EXPECT: "deployments.apps/web,configmaps/settings" },
    });
    assert.match(
      stdout,
      new RegExp(
        `^${ns}-verify-restore: ${ns}-nightly-\\d{14} restored into ${ns}-verify \\(Completed, \\d+ items\\), verified$`,
        "m",
      ),
    );
    assert.equal(
      await cluster.tryGet("namespaces", `${ns}-verify`),
      undefined,
      "the scratch namespace is gone",
    );
    const [recorded] = await listRestores(fsStore(join(cwd, "backups")));
    assert.equal(recorded?.status.phase, "Completed");
  });

  test("--now with something the backup lacks: not verified, exit code 1, the scratch namespace deleted all the same", async () => {
    const { cluster, ns, cwd, options } = await nightlyBackup("vrex-miss");
    const failed = await run(tsx, [join(repoRoot, "examples", "verify-restore.ts"), "--now"], {
      ...options,
      env: { ...options.env, VERIFY_EXPECT: "configmaps/settings,secrets/db-password" },
    }).then(
      () => assert.fail("the run should end with exit code 1"),
      (error: { code?: number; stdout?: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(
      failed.stdout ?? "",
      /\(PartiallyFailed, \d+ items\), NOT verified: secrets db-password is not in the backup$/m,
    );
    assert.equal(
      await cluster.tryGet("namespaces", `${ns}-verify`),
      undefined,
      "the scratch namespace is gone",
    );
    const [recorded] = await listRestores(fsStore(join(cwd, "backups")));
    assert.equal(recorded?.status.phase, "PartiallyFailed", "the stored restore says verification failed");
  });
});

/** Polls (generously) until the Deployment's controller reports `replicas` pods. */
const podsOf = async (cluster: Cluster, ns: string, name: string, replicas: number): Promise<void> => {
  for (let i = 0; i < 600; i++) {
    const d = await cluster.get("deployments.apps", name, { namespace: ns });
    const status = d.status as { replicas?: number; observedGeneration?: number } | undefined;
    if (
      (status?.replicas ?? 0) === replicas &&
      (status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1)
    )
      return;
    await sleep(100);
  }
  assert.fail(`deployment ${ns}/${name} never reported ${replicas} pods`);
};

describe("examples/quiesced-backup.ts (npx tsx …)", () => {
  test("scales the Deployment to 0 for the backup and back afterwards; the backup keeps its replicas", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "quiet");
    await cluster.create(
      "deployments.apps",
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "worker" },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: "worker" } },
          template: {
            metadata: { labels: { app: "worker" } },
            spec: { containers: [{ name: "worker", image: "busybox:1.36" }] },
          },
        },
      },
      { namespace: ns },
    );
    await podsOf(cluster, ns, "worker", 2);
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const { stdout } = await run(tsx, [join(repoRoot, "examples", "quiesced-backup.ts"), ns, "worker"], {
      cwd,
      env: { ...process.env, KUBECONFIG: env.kube.kubeconfig, STOWAGE_STORE: "./backups" },
    });
    assert.match(stdout, new RegExp(`^${ns}/worker: scaled from 2 to 0 for the backup$`, "m"));
    assert.match(stdout, new RegExp(`^${ns}/worker: scaled back to 2$`, "m"));
    assert.match(stdout, new RegExp(`^${ns}-quiesced-\\d{14}: Completed, \\d+ items$`, "m"));
    const live = await cluster.get("deployments.apps", "worker", { namespace: ns });
    assert.equal((live.spec as { replicas?: number }).replicas, 2, "scaled back after the backup");

    const [name] = readdirSync(join(cwd, "backups", "backups"));
    assert.ok(name);
    const entries = await readTarball(
      await fsStore(join(cwd, "backups")).get(`backups/${name}/${name}.tar.gz`),
    );
    const paths = entries.map((e) => e.path);
    assert.deepEqual(
      paths.filter((p) => p.startsWith("resources/pods/")),
      [],
      "no pod of the worker was left when the backup listed the namespace",
    );
    const saved = entries.find((e) => e.path === `resources/deployments.apps/namespaces/${ns}/worker.json`);
    assert.ok(saved, `the Deployment is in the backup: ${paths.join(", ")}`);
    assert.equal(JSON.parse(saved.body.toString()).spec.replicas, 2, "the backup keeps the replicas it had");
  });
});
