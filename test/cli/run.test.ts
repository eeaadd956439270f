// `stowage run SCRIPT`: a user script in a child Node process with the CLI's settings in its
// environment; its exit code is passed through.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../support/binaries.ts";
import { testEnv } from "../support/env.ts";
import { stowage, tempDir } from "./support.ts";

const sdk = pathToFileURL(join(repoRoot, "lib", "index.ts")).href;

test("run gives the script the resolved kubeconfig, so connect() reaches the cluster", async () => {
  const env = await testEnv();
  const dir = tempDir();
  const script = join(dir, "version.mts");
  writeFileSync(
    script,
    [
      `import { connect } from ${JSON.stringify(sdk)};`,
      "const cluster = await connect();",
      "const version = await cluster.version();",
      'console.log("server " + version.gitVersion);',
      'console.log("args " + JSON.stringify(process.argv.slice(2)));',
      'console.log("store " + process.env.STOWAGE_STORE);',
      "cluster.close();",
      "process.exitCode = 3;",
    ].join("\n"),
  );
  const result = await stowage(
    ["--kubeconfig", env.kube.kubeconfig, "run", "--store", join(dir, "backups"), script, "one", "--two"],
    { cwd: dir },
  );
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stdout, /^server v\d+\.\d+\.\d+/m);
  assert.match(result.stdout, /^args \["one","--two"\]$/m);
  assert.match(result.stdout, new RegExp(`^store ${join(dir, "backups")}$`, "m"));
});

test("run of a missing script exits 1; run without a script is a usage error", async () => {
  const missing = await stowage(["run", "/nonexistent/script.ts"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^stowage: script \/nonexistent\/script\.ts does not exist/);
  const none = await stowage(["run"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs SCRIPT \[ARGS\.\.\.\]/);
});

test("a script that throws exits non-zero with Node's own report", async () => {
  const script = join(tempDir(), "fail.mts");
  writeFileSync(script, 'throw new Error("boom from the script");\n');
  const result = await stowage(["run", script]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /boom from the script/);
});
