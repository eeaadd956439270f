// examples/verify-restore.ts run as a user runs it (npx tsx …), against the real apiserver, after
// examples/nightly-schedule.ts took the backup it verifies (kept beside test/examples.test.ts so the two
// can change apart).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { fsStore, listRestores } from "../lib/index.ts";
import { repoRoot } from "./support/binaries.ts";
import { onCleanup } from "./support/cleanup.ts";
import { testEnv } from "./support/env.ts";
import { connectTest, makeNamespace } from "./support/kube.ts";

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
