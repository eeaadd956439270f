// `stowage backup-location create|get|set|delete`: named locations in the config file, validated by
// the SDK's openLocation, used by the backup verbs.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse as parseYaml } from "yaml";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { minioEnv, stowage, tempBucket, tempDir } from "./support.ts";

test("backup-location create / get / set / delete round trip in a config file", async () => {
  const config = join(tempDir(), "nested", "config.json");
  const env = { STOWAGE_CONFIG: config };
  const run = (args: string[]) => stowage(args, { env });
  const dir = tempDir();

  const local = await run([
    "backup-location",
    "create",
    "local",
    "--provider",
    "file",
    "--bucket",
    dir,
    "--default",
  ]);
  assert.equal(local.code, 0, local.stderr);
  assert.equal(local.stdout, 'Backup location "local" configured successfully.\n');
  assert.equal(statSync(config).mode & 0o777, 0o600);

  const aws = await run([
    "backup-location",
    "create",
    "primary",
    "--provider",
    "aws",
    "--bucket",
    "backups",
    "--prefix",
    "prod",
    "--config",
    "region=eu-west-1,s3ForcePathStyle=true",
  ]);
  assert.equal(aws.code, 0, aws.stderr);
  assert.deepEqual(JSON.parse(readFileSync(config, "utf8")), {
    backupLocations: {
      local: { provider: "file", bucket: dir },
      primary: {
        provider: "aws",
        bucket: "backups",
        prefix: "prod",
        config: { region: "eu-west-1", s3ForcePathStyle: "true" },
      },
    },
    defaultBackupLocation: "local",
  });

  const table = (await run(["backup-location", "get"])).stdout.split("\n");
  assert.match(table[0] ?? "", /^NAME +PROVIDER +BUCKET\/PREFIX +CONFIG +DEFAULT$/);
  assert.match(table[1] ?? "", new RegExp(`^local +velero\\.io/file +${dir} +<none> +true$`));
  assert.match(
    table[2] ?? "",
    /^primary +velero\.io\/aws +backups\/prod +region=eu-west-1,s3ForcePathStyle=true *$/,
  );

  const one = JSON.parse((await run(["backup-location", "get", "primary", "-o", "json"])).stdout);
  assert.deepEqual(one, {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: { name: "primary" },
    spec: {
      provider: "aws",
      objectStorage: { bucket: "backups", prefix: "prod" },
      config: { region: "eu-west-1", s3ForcePathStyle: "true" },
    },
  });
  const list = parseYaml((await run(["backup-location", "get", "-o", "yaml"])).stdout);
  assert.equal(list.kind, "BackupStorageLocationList");
  assert.equal(list.items[0].spec.default, true);

  // the default location is where the backup verbs look
  assert.match((await run(["backup", "get"])).stderr, new RegExp(`No backups found in file://${dir}\\.`));

  const set = await run(["backup-location", "set", "primary", "--default"]);
  assert.equal(set.code, 0, set.stderr);
  assert.equal(JSON.parse(readFileSync(config, "utf8")).defaultBackupLocation, "primary");
  assert.match((await run(["backup-location", "get"])).stdout, /^primary .* true$/m);

  const removed = await run(["backup-location", "delete", "primary"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /deleted \(the backups in storage are untouched\)/);
  const after = JSON.parse(readFileSync(config, "utf8"));
  assert.deepEqual(Object.keys(after.backupLocations), ["local"]);
  assert.equal(after.defaultBackupLocation, undefined, "deleting the default leaves no default");

  const missing = await run(["backup-location", "delete", "primary"]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /^stowage: backup location "primary" does not exist in .* \(known: \[local\]\)/,
  );
  assert.equal((await run(["backup-location", "set", "local"])).code, 2, "set needs --default");
});

test("backup-location create rejects unknown config keys with the SDK's message, and duplicates", async () => {
  const config = join(tempDir(), "config.json");
  const run = (args: string[]) => stowage(args, { env: { STOWAGE_CONFIG: config } });
  const bad = await run([
    "backup-location",
    "create",
    "x",
    "--provider",
    "aws",
    "--bucket",
    "b",
    "--config",
    "regoin=eu-west-1",
  ]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /^stowage: velero\.io\/aws: invalid keys \[regoin\]; valid keys are \[region, s3Url, .*, bucket, prefix, caCert\]\n$/,
  );
  const fileKeys = await run([
    "backup-location",
    "create",
    "x",
    "--provider",
    "file",
    "--bucket",
    "/d",
    "--config",
    "region=x",
  ]);
  assert.match(
    fileKeys.stderr,
    /velero\.io\/file: invalid keys \[region\]; valid keys are \[bucket, prefix, caCert\]/,
  );
  const badName = await run([
    "backup-location",
    "create",
    "Not_Valid",
    "--provider",
    "file",
    "--bucket",
    "/d",
  ]);
  assert.equal(badName.code, 2);
  const noBucket = await run(["backup-location", "create", "x", "--provider", "aws"]);
  assert.equal(noBucket.code, 2);
  assert.match(noBucket.stderr, /--bucket is required/);
  assert.equal(
    (await run(["backup-location", "create", "x", "--provider", "file", "--bucket", "/d"])).code,
    0,
  );
  const twice = await run(["backup-location", "create", "x", "--provider", "file", "--bucket", "/d"]);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /backup location "x" already exists/);
});

test("the global --config goes before the command when the command has its own --config", async () => {
  const config = join(tempDir(), "config.json");
  const result = await stowage([
    "--config",
    config,
    "backup-location",
    "create",
    "m",
    "--provider",
    "aws",
    "--bucket",
    "b",
    "--config",
    "region=us-east-1",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(readFileSync(config, "utf8")).backupLocations.m.config, {
    region: "us-east-1",
  });
});

test("backup create --storage-location writes to a named MinIO location and records its name", async () => {
  const env = await testEnv();
  const cluster = await connectTest();
  const ns = await makeNamespace(cluster, "cli-loc");
  const bucket = await tempBucket();
  const config = join(tempDir(), "config.json");
  const cliEnv = { ...(await minioEnv()), STOWAGE_CONFIG: config };
  const created = await stowage(
    [
      "backup-location",
      "create",
      "minio",
      "--provider",
      "aws",
      "--bucket",
      bucket,
      "--prefix",
      "velero",
      "--config",
      `region=us-east-1,s3Url=${env.minio.endpoint},s3ForcePathStyle=true`,
    ],
    { env: cliEnv },
  );
  assert.equal(created.code, 0, created.stderr);
  const name = `${ns}-loc`;
  const backup = await stowage(
    [
      "backup",
      "create",
      name,
      "--kubeconfig",
      env.kube.kubeconfig,
      "--include-namespaces",
      ns,
      "--storage-location",
      "minio",
    ],
    { env: cliEnv },
  );
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, new RegExp(`s3://${bucket}/velero`));
  const got = JSON.parse(
    (await stowage(["backup", "get", name, "--storage-location", "minio", "-o", "json"], { env: cliEnv }))
      .stdout,
  );
  assert.equal(got.spec.storageLocation, "minio");
  assert.equal(got.metadata.labels["velero.io/storage-location"], "minio");
  const both = await stowage(["backup", "get", "--storage-location", "minio", "--store", tempDir()], {
    env: cliEnv,
  });
  assert.equal(both.code, 2);
  assert.match(both.stderr, /pass either --store or --storage-location/);
  const unknown = await stowage(["backup", "get", "--storage-location", "nope"], { env: cliEnv });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /backup location "nope" is not in .* \(known: \[minio\]\)/);
});
