/**
 * kill -9 of a backup at 20 random points: a child process (test/backup/kill9-child.ts) backs up a
 * namespace with a PV on a moto EBS volume (native snapshot) and a pod volume (restic, local driver on
 * the harness node's kubelet directory) into MinIO, and is killed — with its restic — at a random point:
 * half the time a random moment (uniform from shortly before a whole backup's first progress report —
 * before it the run only reads the cluster and checks its options — to its end), half the time right
 * after a random one of its progress reports (which reach the points after the snapshots and before
 * completion that a moment rarely hits). After each kill: every backup listed is Completed and reads
 * back whole (its tarball, its EBS snapshot in moto, its restic snapshot in the repository); then
 * `deleteBackup` or GC (alternately) removes every leftover: no key under the backup's directory, no
 * EBS snapshot and no restic snapshot of it. The seed is printed; STOWAGE_KILL9_SEED=<seed> replays it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { collectGarbage, deleteBackup, listBackups } from "../../lib/index.ts";
import type { NativeSnapshotRecord } from "../../lib/snapshot/types.ts";
import { openCatalog } from "../../lib/store/index.ts";
import { resticPath, tempDir } from "../podvolume/support.ts";
import { testEnv } from "../support/env.ts";
import { Rng } from "../support/fuzz.ts";
import { uniqueSuffix } from "../support/kube.ts";
import { readTarball } from "../support/tarball.ts";
import type { Kill9ChildConfig } from "./kill9-child.ts";
import { type OrphanFixture, orphanFixture } from "./orphans-fixture.ts";

const KILLS = 20;
const CHILD = fileURLToPath(new URL("./kill9-child.ts", import.meta.url));
const DAY = 86_400_000;

interface ChildOutcome {
  /** Killed before it printed `done`. */
  readonly killed: boolean;
  /** From `ready` to `done` (or to the kill). */
  readonly ms: number;
  /** Progress reports printed (before the kill). */
  readonly events: number;
  /** From `ready` to the first progress report (the backup has claimed its name and begun writing). */
  readonly firstEventMs: number;
  readonly phase?: string;
}

/** When to kill: that long after `ready`, or right after the n-th progress report (1-based). */
type KillPoint = { readonly afterMs: number } | { readonly afterEvent: number };

/** Runs the child for backup `name`; with `kill`, SIGKILLs its process group at that point. */
const runChild = (config: Kill9ChildConfig, kill: KillPoint | undefined): Promise<ChildOutcome> => {
  const file = join(tempDir("kill9"), "config.json");
  writeFileSync(file, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", CHILD, file], {
    detached: true, // its own process group: the kill takes restic with it, as a container's death would
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let ready = 0;
  let killedAt = 0;
  let firstEvent = 0;
  let timer: NodeJS.Timeout | undefined;
  const killGroup = () => {
    try {
      process.kill(-(child.pid ?? 0), "SIGKILL");
    } catch {
      // already gone
    }
  };
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const events = () => out.split("\n").filter((line) => line.startsWith("event ")).length;
  const killNow = () => {
    if (killedAt || /^done /m.test(out)) return;
    killedAt = Date.now();
    killGroup();
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (!firstEvent && out.includes("event ")) firstEvent = Date.now();
    if (!ready && out.includes("ready\n")) {
      ready = Date.now();
      if (kill && "afterMs" in kill) timer = setTimeout(killNow, kill.afterMs);
    }
    if (kill && "afterEvent" in kill && events() >= kill.afterEvent) killNow();
  });
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => killGroup(), 180_000); // a hung child fails the test, never the suite
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(guard);
      const done = /^done (\w+)$/m.exec(out);
      const firstEventMs = firstEvent ? firstEvent - ready : 0;
      if (done) {
        return resolve({
          killed: false,
          ms: Date.now() - ready,
          events: events(),
          firstEventMs,
          phase: done[1] ?? "",
        });
      }
      if (signal === "SIGKILL" && killedAt)
        return resolve({ killed: true, ms: killedAt - ready, events: events(), firstEventMs });
      reject(new Error(`the backup child exited (${code ?? signal}) without finishing:\n${out}\n${err}`));
    });
  });
};

/** A backup listed as complete must restore: Completed, its tarball whole, its snapshots present. */
const assertRestorable = async (f: OrphanFixture, name: string) => {
  const catalog = openCatalog(f.store);
  const metadata = await catalog.getBackupMetadata(name);
  assert.equal(metadata.status?.phase, "Completed", `backup ${name} is listed; it must be Completed`);
  const entries = await readTarball(await catalog.getBackupContents(name));
  const paths = entries.map((e) => e.path);
  for (const wanted of [
    `resources/configmaps/namespaces/${f.namespace}/cfg.json`,
    `resources/pods/namespaces/${f.namespace}/web.json`,
    `resources/persistentvolumeclaims/namespaces/${f.namespace}/data.json`,
    `resources/persistentvolumes/cluster/${f.namespace}-pv.json`,
  ]) {
    assert.ok(paths.includes(wanted), `backup ${name} holds ${wanted}`);
  }
  const snapshots = (await catalog.getBackupJson<NativeSnapshotRecord[]>(name, "volumeSnapshots")) ?? [];
  const ebs = snapshots.map((s) => s.status.providerSnapshotID ?? "");
  assert.equal(ebs.length, 1, `backup ${name} records one EBS snapshot`);
  assert.deepEqual(await f.ebsSnapshotsOf(name), ebs, `the EBS snapshot of ${name} exists in moto`);
  const pvbs =
    (await catalog.getBackupJson<Array<{ status: { snapshotID?: string } }>>(name, "podVolumeBackups")) ?? [];
  const restic = pvbs.map((p) => p.status.snapshotID ?? "");
  assert.equal(restic.length, 1, `backup ${name} records one restic snapshot`);
  assert.deepEqual(
    await f.resticSnapshotsOf(name),
    restic,
    `the restic snapshot of ${name} is in the repository`,
  );
};

describe("kill -9 of a backup at 20 random points (child process; real apiserver, MinIO, moto EBS, restic; harness plays the node)", () => {
  it("nothing listed is incomplete, and delete or GC removes every leftover, snapshots included", async (t) => {
    const env = await testEnv();
    const f = await orphanFixture("kill9");
    const seed = Number(process.env.STOWAGE_KILL9_SEED ?? randomInt(2 ** 31));
    t.diagnostic(`kill -9 seed ${seed} (replay: STOWAGE_KILL9_SEED=${seed})`);
    // the fuzz engine's seeded PRNG: the same seed, the same kill points
    const rng = new Rng(seed);
    const random = () => rng.float();
    const config = (name: string): Kill9ChildConfig => ({
      name,
      namespace: f.namespace,
      credentialsNamespace: f.credentialsNamespace,
      kubeconfig: env.kube.kubeconfig,
      s3: f.s3,
      location: f.location,
      moto: f.moto,
      resticPath: resticPath(),
      kubeletDir: f.node.kubeletDir,
    });
    const left = async (name: string) => ({
      keys: (await f.keysOf(name)).length,
      ebs: (await f.ebsSnapshotsOf(name)).length,
      restic: (await f.resticSnapshotsOf(name)).length,
    });
    const assertNothingLeft = async (name: string, how: string) =>
      assert.deepEqual(await left(name), { keys: 0, ebs: 0, restic: 0 }, `${how} left nothing of ${name}`);

    // two runs not killed (the first creates the repository): how long a backup takes here and how many
    // progress reports it makes, and that it is complete and readable
    let first: ChildOutcome | undefined;
    for (let i = 0; i < 2; i++) {
      const whole = `kill9-whole-${uniqueSuffix()}`;
      first = await runChild(config(whole), undefined);
      assert.equal(first.phase, "Completed");
      await assertRestorable(f, whole);
      await deleteBackup(f.store, whole, { volumeSnapshotLocations: [f.location], podVolumes: f.podVolumes });
      await assertNothingLeft(whole, "deleteBackup");
    }
    assert.ok(first && first.events > 0, "the child reports progress");
    // moments from shortly before the first report to shortly before the end (a warm run is quicker)
    const start = Math.round(first.firstEventMs * 0.8);
    const end = Math.round(first.ms * 0.9);

    const log: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const name = `kill9-${i}-${uniqueSuffix()}`;
      const point: KillPoint =
        random() < 0.5
          ? { afterMs: Math.round(start + random() * (end - start)) }
          : { afterEvent: 1 + Math.floor(random() * first.events) };
      const outcome = await runChild(config(name), point);
      const before = await left(name);
      // nothing is listed as a backup that does not restore
      const listed = (await listBackups(f.store)).map((b) => b.metadata?.name ?? "");
      for (const listedName of listed) await assertRestorable(f, listedName);
      // a run that finished is listed (one killed after its last write may be too: it is complete)
      if (!outcome.killed) assert.ok(listed.includes(name), `the finished backup ${name} is listed`);
      // every leftover goes: alternately through deleteBackup and through GC
      const how = i % 2 === 0 ? "deleteBackup" : "collectGarbage";
      if (how === "deleteBackup") {
        await deleteBackup(f.store, name, {
          volumeSnapshotLocations: [f.location],
          podVolumes: f.podVolumes,
        });
      } else {
        const gc = await collectGarbage({
          store: f.store,
          volumeSnapshotLocations: [f.location],
          podVolumes: f.podVolumes,
          now: () => new Date(Date.now() + 60 * DAY), // past the TTL, and past abandonedAfterMs (24 h)
        });
        assert.deepEqual(gc.errors, []);
        const found = [...gc.deleted.map((d) => d.name), ...gc.abandoned.map((a) => a.name)];
        if (before.keys > 0) assert.deepEqual(found, [name], "GC found the run");
      }
      await assertNothingLeft(name, how);
      log.push(
        `${i}: ${JSON.stringify(point)}: ${outcome.killed ? `killed after ${outcome.ms} ms, ${outcome.events} reports` : `finished (${outcome.phase}) first`}; left ${before.keys} keys, ${before.ebs} EBS and ${before.restic} restic snapshots; ${how} removed them`,
      );
    }
    t.diagnostic(
      `a whole backup took ${first.ms} ms, ${first.events} progress reports; kill points:\n${log.join("\n")}`,
    );
  });
});
