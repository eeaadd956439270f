// `stowage restic repo init|get` through the real executable, against MinIO and the real apiserver.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { minioEnv, stowage, tempBucket, tempDir } from "../cli/support.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { resticPath } from "./support.ts";

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
