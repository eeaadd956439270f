import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "../support/binaries.ts";
import type { TestEnv } from "../support/env.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts run-env.ts in a child, waits for its JSON, kills it with `signal`, returns what it had started. */
const startAndKill = async (signal: NodeJS.Signals) => {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repoRoot, "test", "support", "run-env.ts")],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, STOWAGE_TEST_ENV: "" },
    },
  );
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const env = await new Promise<TestEnv>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!) as TestEnv);
    });
    child.on("exit", (code) => reject(new Error(`run-env exited early (${code}): ${err}`)));
  });
  assert.ok(env.pids.length >= 5, `etcd, apiserver, controller-manager, MinIO, moto: ${env.pids}`);
  for (const pid of env.pids) assert.ok(alive(pid), `pid ${pid} runs before the kill`);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await exited;
  return env;
};

const waitGone = async (pids: readonly number[], ms: number) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids.some(alive)) await sleep(100);
  return pids.filter(alive);
};

describe("the harness leaves nothing behind", () => {
  test("SIGINT to a run stops etcd, kube-apiserver, kube-controller-manager, MinIO and moto", async () => {
    const env = await startAndKill("SIGINT");
    assert.deepEqual(await waitGone(env.pids, 10_000), [], "no component survives SIGINT");
    const server = new URL(env.kube.server);
    await assert.rejects(fetch(`https://${server.host}/readyz`), "the apiserver port is closed");
  });

  test("SIGKILL (no handler can run): the watchdog still stops every component and removes the temp dir", async () => {
    const env = await startAndKill("SIGKILL");
    assert.deepEqual(await waitGone(env.pids, 15_000), [], "no component survives SIGKILL of its owner");
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && existsSync(env.dir)) await sleep(200);
    assert.equal(existsSync(env.dir), false, "temp dir removed");
  });
});
