// `stowage restic repo init|get`, and backup/restore/delete with restic, through the real executable, against MinIO and the real apiserver.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { repositoryAddress } from "../../lib/podvolume/backend.ts";
import { snapshotsCommand } from "../../lib/podvolume/commands.ts";
import type { PodVolumeBackupRecord } from "../../lib/podvolume/index.ts";
import { findRepositoryKey } from "../../lib/podvolume/keys.ts";
import { localDriver } from "../../lib/podvolume/local-driver.ts";
import { decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { backupKeys } from "../../lib/store/layout.ts";
import { minioEnv, stowage, tempBucket, tempDir } from "../cli/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, podOnNode } from "../support/node-player.ts";
import { harnessNode, IMAGE, resticPath, tempS3Location } from "./support.ts";
import { makeTree, manifest } from "./tree.ts";

test("restic repo init with a key file, adopt, refuse a wrong key, get as a table and as BackupRepository objects", async () => {
  const env = await testEnv();
  const cluster = await connectTest();
  const keys = await makeNamespace(cluster, "pv-cli");
  const bucket = await tempBucket();
  const common = [
    "--store",
    `s3://${bucket}/velero`,
    "--s3-endpoint",
    env.minio.endpoint,
    "--kubeconfig",
    env.kube.kubeconfig,
    "--credentials-namespace",
    keys,
  ];
  const run = (args: string[]) => stowage([...args, ...common], { env: { ...awsEnv } });
  const awsEnv = await minioEnv();
  const dir = tempDir();
  const keyFile = join(dir, "shop.key");
  const secretKey = "cli-key-0123456789abcdef";
  await writeFile(keyFile, `${secretKey}\n`);

  const init = await run(["restic", "repo", "init", "shop", "--key-file", keyFile, "--restic", resticPath()]);
  assert.equal(init.code, 0, init.stderr);
  const url = `s3:${env.minio.endpoint}/${bucket}/velero/restic/shop`;
  assert.equal(
    init.stdout,
    `Repository for namespace shop initialised at ${url}; its key is kept in Secret ${keys}/stowage-repo-credentials[shop].\n`,
  );
  const again = await run([
    "restic",
    "repo",
    "init",
    "shop",
    "--key-data",
    secretKey,
    "--restic",
    resticPath(),
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already existed and opens with the key; adopted/);

  const other = await makeNamespace(cluster, "pv-cli");
  const wrong = await stowage(
    [
      "restic",
      "repo",
      "init",
      "shop",
      "--key-data",
      "definitely-wrong-key",
      "--restic",
      resticPath(),
      ...common.slice(0, -1),
      other,
    ],
    { env: awsEnv },
  );
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^stowage: wrong repository key for namespace shop: .*nothing was written/);
  for (const text of [init.stdout, init.stderr, wrong.stdout, wrong.stderr]) {
    assert.ok(!text.includes(secretKey) && !text.includes("definitely-wrong-key"), text);
  }

  const table = await run(["restic", "repo", "get"]);
  assert.equal(table.code, 0, table.stderr);
  const [header, row] = table.stdout.trimEnd().split("\n");
  assert.match(header ?? "", /^NAMESPACE\s+STATUS\s+REPOSITORY\s+KEY$/);
  assert.match(
    row ?? "",
    new RegExp(
      `^shop\\s+Ready\\s+${url.replace(/[.]/g, "\\.")}\\s+${keys}/stowage-repo-credentials\\[shop\\]$`,
    ),
  );

  const json = await run(["restic", "repo", "get", "shop", "-o", "json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), {
    apiVersion: "velero.io/v1",
    kind: "BackupRepository",
    metadata: { name: "shop-default-restic", namespace: "velero" },
    spec: {
      volumeNamespace: "shop",
      backupStorageLocation: "default",
      repositoryType: "restic",
      resticIdentifier: url,
    },
    status: { phase: "Ready" },
  });

  const usage = await run(["restic", "repo", "init", "x", "--key-size", "many"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /invalid value "many" for --key-size/);
});

test("backup create, restore create and backup delete with --fs-backup-driver job: the volume comes back before the workload starts, delete forgets the restic snapshot, restic repo prune frees its data (harness plays the node)", async () => {
  const env = await testEnv();
  const cluster = await connectTest();
  const system = await makeNamespace(cluster, "pv-cli-sys");
  const app = await makeNamespace(cluster, "pv-cli-app");
  const restored = `pv-cli-restored-${uniqueSuffix()}`;
  onCleanup(() => cluster.delete("namespaces", restored).catch(() => undefined));
  const node = await harnessNode(cluster, [restored]);
  const { store, backend, options } = await tempS3Location();
  const awsEnv = await minioEnv();
  const common = [
    "--store",
    `s3://${options.bucket}/velero`,
    "--s3-endpoint",
    env.minio.endpoint,
    "--kubeconfig",
    env.kube.kubeconfig,
    "--credentials-namespace",
    system,
  ];
  const fsBackup = ["--fs-backup-driver", "job", "--fs-backup-image", IMAGE];
  // restic on PATH for `backup delete`, which forgets snapshots with restic on this machine
  const run = (args: string[]) =>
    stowage([...args, ...common], {
      env: { ...awsEnv, PATH: `${dirname(resticPath())}:${process.env.PATH ?? ""}` },
    });

  const pod = await createRunningPod(
    cluster,
    podOnNode({
      namespace: app,
      name: "db-0",
      node: node.name,
      annotations: { "backup.velero.io/backup-volumes": "data" },
    }),
  );
  const source = node.emptyDir(pod.metadata?.uid ?? "", "data");
  await makeTree(source, { bigFileBytes: 64 * 1024, smallFiles: 20 });

  const name = `pv-cli-${uniqueSuffix()}`;
  const created = await run(["backup", "create", name, "--include-namespaces", app, ...fsBackup]);
  assert.equal(created.code, 0, created.stderr);
  const key = backupKeys(name).podVolumeBackups;
  const records = (await decodeJsonGz<PodVolumeBackupRecord[]>(await getBuffer(store, key), key)) ?? [];
  assert.deepEqual(
    records.map((r) => [r.spec.pod.name, r.spec.volume, r.status.phase]),
    [["db-0", "data", "Completed"]],
    JSON.stringify([records[0]?.status, created.stdout, created.stderr]),
  );
  const snapshotId = records[0]?.status.snapshotID ?? "";

  const badDriver = await run(["restore", "create", "--from-backup", name, "--fs-backup-driver", "kopia"]);
  assert.equal(badDriver.code, 2);
  assert.match(badDriver.stderr, /invalid value "kopia" for --fs-backup-driver: expected job or local/);

  const restoredRun = await run([
    "restore",
    "create",
    "--from-backup",
    name,
    "--namespace-mappings",
    `${app}:${restored}`,
    ...fsBackup,
  ]);
  assert.equal(restoredRun.code, 0, restoredRun.stderr);
  assert.match(restoredRun.stdout, /completed with status: Completed/);
  const live = await eventually("restored db-0 running", async () => {
    const p = await cluster.tryGet("pods", "db-0", { namespace: restored });
    return (p?.status as { phase?: string } | undefined)?.phase === "Running" ? p : undefined;
  });
  const target = node.emptyDir(live.metadata?.uid ?? "", "data");
  assert.deepEqual(await manifest(target), await manifest(source));
  assert.equal(
    node.executed.find((e) => e.namespace === restored && e.container === "restore-wait")?.exitCode,
    0,
  );

  // without --keep-pod-volume-snapshots the snapshot goes with the backup
  const inRepository = async () => {
    const repoKey = await findRepositoryKey(cluster, app, { credentialsNamespace: system });
    assert.ok(repoKey);
    const repository = { address: repositoryAddress(backend, app), key: repoKey };
    const driver = localDriver({ resticPath: resticPath(), cacheDir: false });
    const listed = await driver.run(snapshotsCommand(repository.address), repository, {
      collectStdout: true,
    });
    assert.equal(listed.exitCode, 0, listed.stderr);
    return (JSON.parse(listed.stdout) as Array<{ id: string }>).map((s) => s.id);
  };
  assert.deepEqual(await inRepository(), [snapshotId]);
  const deleted = await run(["backup", "delete", name, "--confirm"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(
    deleted.stdout,
    new RegExp(
      `^Backup "${name}" deleted \\(\\d+ objects removed from .*, 1 restic snapshot\\(s\\) forgotten, its restore\\(s\\) ${name}-\\d{14} removed\\)\\.\\n$`,
    ),
  );
  assert.deepEqual(await inRepository(), []);
  assert.equal(await store.exists(backupKeys(name).metadata), false);

  // and maintenance frees its data
  const pruned = await run(["restic", "repo", "prune"]);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(
    pruned.stdout,
    new RegExp(
      `^Repository of namespace ${app} pruned in [\\d.]+ s \\(total prune: [1-9]\\d* blobs / .*\\)\\.\\n$`,
    ),
  );
  const json = await run(["restic", "repo", "prune", app, "missing-ns", "-o", "json"]);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout) as {
    pruned: Array<{ namespace: string }>;
    skipped: Array<{ namespace: string }>;
  };
  assert.deepEqual(
    result.pruned.map((p) => p.namespace),
    [app],
  );
  assert.deepEqual(
    result.skipped.map((p) => p.namespace),
    ["missing-ns"],
  );
});
