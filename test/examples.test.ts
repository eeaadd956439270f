import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./support/binaries.ts";
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
});
