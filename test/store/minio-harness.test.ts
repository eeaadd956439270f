// The MinIO test harness itself: it fails (never skips) without the binary, and cleans up after itself.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { startMinio } from "../support/minio.ts";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");

describe("test/support/minio.ts", () => {
  it("fails with 'MinIO not found at <path>: run `npm run setup`' when the binary is missing", async () => {
    const script = "const m = await import('./test/support/minio.ts'); await m.startMinio();";
    await assert.rejects(
      run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: repo,
        env: { ...process.env, STOWAGE_CACHE: "/nonexistent-stowage-cache" },
      }),
      (error: unknown) => {
        const stderr = String((error as { stderr?: unknown }).stderr);
        assert.match(
          stderr,
          /MinIO not found at \/nonexistent-stowage-cache\/minio\/.*\/bin\/minio: run `npm run setup`/,
        );
        return true;
      },
    );
  });

  it("starts with buckets, and stop() ends the process and removes the data dir", async () => {
    const minio = await startMinio({ buckets: ["one", "two"] });
    const response = await fetch(`${minio.endpoint}/minio/health/ready`);
    assert.equal(response.status, 200);
    assert.equal(minio.region, "us-east-1");
    assert.ok(existsSync(minio.dataDir));
    await minio.createBucket("three");
    assert.ok(existsSync(join(minio.dataDir, "three")));
    assert.ok(existsSync(join(minio.dataDir, "one")));
    await minio.stop();
    assert.ok(!existsSync(minio.dataDir));
    await assert.rejects(fetch(`${minio.endpoint}/minio/health/ready`));
    await minio.stop(); // idempotent
  });

  it("no MinIO survives its test process being SIGKILLed", async () => {
    const script = [
      "const m = await import('./test/support/minio.ts');",
      "const minio = await m.startMinio();",
      "console.log(JSON.stringify({ endpoint: minio.endpoint, dataDir: minio.dataDir }));",
      "setInterval(() => {}, 1000);",
    ].join("\n");
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repo,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
    const { endpoint, dataDir } = JSON.parse(line) as { endpoint: string; dataDir: string };
    assert.equal((await fetch(`${endpoint}/minio/health/ready`)).status, 200);
    child.kill("SIGKILL");
    const deadline = Date.now() + 15_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      await sleep(250);
      alive = await fetch(`${endpoint}/minio/health/ready`).then(
        () => true,
        () => false,
      );
    }
    assert.equal(alive, false, "MinIO still answers after its parent was killed");
    while (existsSync(dataDir) && Date.now() < deadline) await sleep(250);
    assert.ok(!existsSync(dataDir), "the data dir is removed too");
  });
});
