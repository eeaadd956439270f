// examples/postgres-consistent-backup.ts run as a user runs it (npx tsx …) against the real apiserver,
// MinIO and real restic Jobs (harness plays the node). There is no PostgreSQL here: the node's PATH has
// two recording shims, `psql` and `fsfreeze`, that log their arguments; `fsfreeze --freeze DIR` also
// leaves FROZEN in DIR. What is checked is the example's own wiring: CHECKPOINT, then the freeze, before
// the restic Job reads the volume (so FROZEN is in the snapshot); the thaw after the Job ends.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { listBackups } from "../lib/index.ts";
import type { PodVolumeBackupRecord } from "../lib/podvolume/records.ts";
import { decodeJsonGz, getBuffer } from "../lib/store/index.ts";
import { backupKeys } from "../lib/store/layout.ts";
import { IMAGE, resticPath, tempDir, tempS3Location } from "./podvolume/support.ts";
import { repoRoot } from "./support/binaries.ts";
import { onCleanup } from "./support/cleanup.ts";
import { testEnv } from "./support/env.ts";
import { connectTest, makeNamespace } from "./support/kube.ts";
import { createRunningPod, podOnNode, startNodePlayer } from "./support/node-player.ts";

const run = promisify(execFile);

/** A shim that appends its name and arguments to `log`, plus `extra` shell lines. */
const shim = (dir: string, name: string, log: string, extra = ""): void => {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${log}'\n${extra}\nexit 0\n`);
  chmodSync(file, 0o755);
};

describe("examples/postgres-consistent-backup.ts (npx tsx …)", () => {
  test("CHECKPOINT and fsfreeze run in the database pod before its restic Job, the thaw after (harness plays the node)", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    onCleanup(() => cluster.close());
    const shims = tempDir("pg-shims");
    const log = join(shims, "calls.log");
    shim(shims, "psql", log);
    shim(shims, "fsfreeze", log, `[ "$1" = --freeze ] && echo frozen > "$2/FROZEN"`);
    const node = await startNodePlayer({
      cluster,
      kubeletDir: tempDir("kubelet"),
      runImages: [IMAGE],
      path: [shims, dirname(resticPath())],
    });
    onCleanup(() => node.stop());

    const system = await makeNamespace(cluster, "pg-system");
    const app = await makeNamespace(cluster, "pg-app");
    const pod = podOnNode({
      namespace: app,
      name: "db-0",
      node: node.name,
      labels: { app: "postgres" },
      annotations: { "backup.velero.io/backup-volumes": "data" },
    });
    const container = (pod.spec as { containers: Record<string, unknown>[] }).containers[0] as Record<
      string,
      unknown
    >;
    container.image = "postgres:17";
    container.volumeMounts = [{ name: "data", mountPath: "/var/lib/postgresql/data" }];
    const live = await createRunningPod(cluster, pod);
    const data = node.emptyDir(live.metadata?.uid ?? "", "data");
    writeFileSync(join(data, "PG_VERSION"), "17\n");
    await createRunningPod(cluster, podOnNode({ namespace: app, name: "web", node: node.name }));

    const { store, options } = await tempS3Location();
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const { stdout } = await run(
      join(repoRoot, "node_modules", ".bin", "tsx"),
      [join(repoRoot, "examples", "postgres-consistent-backup.ts"), app, "app=postgres"],
      {
        cwd,
        env: {
          ...process.env,
          KUBECONFIG: env.kube.kubeconfig,
          STOWAGE_STORE: `s3://${options.bucket}/${options.prefix}`,
          AWS_ENDPOINT_URL_S3: env.minio.endpoint,
          AWS_REGION: env.minio.region,
          AWS_ACCESS_KEY_ID: env.minio.accessKey,
          AWS_SECRET_ACCESS_KEY: env.minio.secretKey,
          POD_NAMESPACE: system,
          STOWAGE_IMAGE: IMAGE,
        },
      },
    );
    assert.match(stdout, /: Completed, \d+ items, hooks 2 run \/ 0 failed/);

    // the hooks: CHECKPOINT, freeze (pre) and thaw (post), in the database pod only
    const lines = readFileSync(log, "utf8").trim().split("\n");
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.match(lines[0] ?? "", /^psql -v ON_ERROR_STOP=1 -U postgres -c CHECKPOINT$/);
    assert.match(lines[1] ?? "", /^fsfreeze --freeze \//);
    assert.match(lines[2] ?? "", /^fsfreeze --unfreeze \//);
    assert.deepEqual(
      node.execs.filter((e) => e.namespace === app).map((e) => e.pod),
      ["db-0", "db-0", "db-0"],
    );
    assert.ok(existsSync(join(data, "FROZEN")), "the freeze ran on the pod's data volume");

    // order: the freeze ended before the restic Job started, the thaw began after it ended
    // (the first backup of a namespace also runs an "ensure" Job that creates its repository)
    const jobs = node.executed.filter(
      (c) => c.namespace === system && !c.init && c.pod.startsWith("stowage-restic-backup-"),
    );
    assert.equal(jobs.length, 1, JSON.stringify(node.executed));
    const job = jobs[0] as (typeof jobs)[number];
    const hookExecs = node.execs.filter((e) => e.namespace === app);
    const freeze = hookExecs[1] as (typeof hookExecs)[number];
    const thaw = hookExecs[2] as (typeof hookExecs)[number];
    assert.ok((freeze.finishedAt ?? Number.POSITIVE_INFINITY) <= job.startedAt, "frozen before the copy");
    assert.ok(thaw.startedAt >= job.finishedAt, "thawed after the copy");

    // the backup: one completed pod volume backup of db-0's data, taken while frozen
    const names = (await listBackups(store)).map((b) => b.metadata?.name ?? "");
    const name = names.find((n) => n.startsWith(`${app}-pg-`));
    assert.ok(name, `the example's backup is in the store: ${names}`);
    const records = await decodeJsonGz<PodVolumeBackupRecord[]>(
      await getBuffer(store, backupKeys(name).podVolumeBackups),
    );
    assert.deepEqual(
      (records ?? []).map((r) => [r.spec.pod.name, r.spec.volume, r.status.phase]),
      [["db-0", "data", "Completed"]],
    );
  });
});
