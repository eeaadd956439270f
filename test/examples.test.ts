import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./support/binaries.ts";
import { onCleanup } from "./support/cleanup.ts";
import { testEnv } from "./support/env.ts";
import { connectTest, makeNamespace } from "./support/kube.ts";

const run = promisify(execFile);

describe("examples run as a user runs them (npx tsx …)", () => {
  test("examples/backup-namespace.ts backs up a namespace into ./stowage-data", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "example");
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" } },
      { namespace: ns },
    );
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const { stdout } = await run(
      join(repoRoot, "node_modules", ".bin", "tsx"),
      [join(repoRoot, "examples", "backup-namespace.ts"), ns],
      {
        cwd,
        env: { ...process.env, KUBECONFIG: env.kube.kubeconfig },
      },
    );
    assert.match(stdout, new RegExp(`^${ns}-\\d{14}: Completed, \\d+ items`));
    assert.equal(readdirSync(join(cwd, "stowage-data", "backups")).length, 1);
  });

  test("examples/restore-into-namespace.ts plans, then restores a namespace next to the original", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "exr");
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } },
      { namespace: ns },
    );
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const options = { cwd, env: { ...process.env, KUBECONFIG: env.kube.kubeconfig } };
    const tsx = join(repoRoot, "node_modules", ".bin", "tsx");
    await run(tsx, [join(repoRoot, "examples", "backup-namespace.ts"), ns], options);
    const backupName = readdirSync(join(cwd, "stowage-data", "backups"))[0]!;
    const target = `${ns}-restored`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const script = join(repoRoot, "examples", "restore-into-namespace.ts");
    const plan = await run(tsx, [script, backupName, ns, target, "--dry-run"], options);
    assert.match(plan.stdout, new RegExp(`create\\s+configmaps ${target}/settings`));
    assert.equal(await cluster.tryGet("namespaces", target), undefined, "the dry run created nothing");
    const done = await run(tsx, [script, backupName, ns, target], options);
    assert.match(done.stdout, /^Completed: \d+ items, \d+ warnings, 0 errors$/m);
    assert.deepEqual((await cluster.get("configmaps", "settings", { namespace: target })).data, { a: "1" });
  });
});
