import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { changeStorageClass } from "../examples/change-storage-class-action.ts";
import { backup, fsStore, initRepository, listBackups, localDriver, restore } from "../lib/index.ts";
import { findRepositoryKey, forgetCommand, repositoryAddress } from "../lib/podvolume/index.ts";
import { repoRoot, requireBinary } from "./support/binaries.ts";
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

  test("examples/nightly-schedule.ts --now takes one scheduled backup, named and labelled as Velero's", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "nightly");
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } },
      { namespace: ns },
    );
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const { stdout } = await run(
      join(repoRoot, "node_modules", ".bin", "tsx"),
      [join(repoRoot, "examples", "nightly-schedule.ts"), "--now"],
      {
        cwd,
        env: {
          ...process.env,
          KUBECONFIG: env.kube.kubeconfig,
          SHOP_NAMESPACE: ns,
          STOWAGE_STORE: "./backups",
        },
      },
    );
    assert.match(stdout, new RegExp(`^${ns}-nightly: succeeded, \\d+ items in \\d+ ms$`, "m"));
    const [saved] = await listBackups(fsStore(join(cwd, "backups")));
    assert.match(saved?.metadata?.name ?? "", new RegExp(`^${ns}-nightly-\\d{14}$`));
    assert.equal(saved?.metadata?.labels?.["velero.io/schedule-name"], `${ns}-nightly`);
  });

  test("examples/restic-maintenance.ts --now prunes the data of a forgotten restic snapshot", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    const app = await makeNamespace(cluster, "maint-app");
    const keys = await makeNamespace(cluster, "maint-keys");
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const restic = requireBinary("RESTIC");
    const driver = localDriver({ resticPath: restic, cacheDir: false });
    const backend = { type: "local", path: join(cwd, "backups") } as const;
    await initRepository({
      cluster,
      backend,
      namespace: app,
      credentialsNamespace: keys,
      keySize: 32,
      driver,
    });
    const key = await findRepositoryKey(cluster, app, { credentialsNamespace: keys });
    assert.ok(key);
    const repository = { address: repositoryAddress(backend, app), key };
    const data = mkdtempSync(join(tmpdir(), "stowage-example-data-"));
    writeFileSync(join(data, "blob.bin"), randomBytes(300_000));
    const taken = await driver.backupDirectory({ repository, directory: data });
    const forgot = await driver.run(
      forgetCommand(repository.address, { snapshotIds: [taken.snapshotId] }),
      repository,
    );
    assert.equal(forgot.exitCode, 0, forgot.stderr);

    const { stdout } = await run(
      join(repoRoot, "node_modules", ".bin", "tsx"),
      [join(repoRoot, "examples", "restic-maintenance.ts"), "--now"],
      {
        cwd,
        env: {
          ...process.env,
          KUBECONFIG: env.kube.kubeconfig,
          STOWAGE_STORE: "./backups",
          STOWAGE_CREDENTIALS_NAMESPACE: keys,
          PATH: `${dirname(restic)}:${process.env.PATH ?? ""}`,
        },
      },
    );
    const pruned = new RegExp(`^${app}: pruned in \\d+ ms \\(total prune: (\\d+) blobs / .*\\)$`, "m").exec(
      stdout,
    );
    assert.ok(pruned, stdout);
    assert.ok(Number(pruned[1]) >= 1, `the forgotten snapshot's data was freed: ${stdout}`);
  });

  test("examples/change-storage-class-action.ts restores a PVC under another storage class", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "sc");
    await cluster.create(
      "persistentvolumeclaims",
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "data" },
        spec: {
          storageClassName: "standard",
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: "1Gi" } },
        },
      },
      { namespace: ns },
    );
    const store = fsStore(mkdtempSync(join(tmpdir(), "stowage-example-")));
    await backup({ cluster, store, name: `${ns}-b`, includedNamespaces: [ns] });
    const target = `${ns}-fast`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const result = await restore({
      cluster,
      store,
      backupName: `${ns}-b`,
      namespaceMapping: { [ns]: target },
      actions: [changeStorageClass({ standard: "fast" })],
    });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    const pvc = await cluster.get("persistentvolumeclaims", "data", { namespace: target });
    assert.equal((pvc.spec as { storageClassName?: string }).storageClassName, "fast");
  });

  test("examples/migrate-namespace.ts moves a namespace between two connections (one control plane here)", async () => {
    // a second control plane would double the suite's start-up; the script only ever sees two
    // kubeconfigs and two connections, which is all that differs between clusters
    const env = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "migrate");
    await cluster.create(
      "configmaps",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { color: "blue" } },
      { namespace: ns },
    );
    const target = `${ns}-v2`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const cwd = mkdtempSync(join(tmpdir(), "stowage-example-"));
    const { stdout } = await run(
      join(repoRoot, "node_modules", ".bin", "tsx"),
      [join(repoRoot, "examples", "migrate-namespace.ts"), ns, target],
      {
        cwd,
        env: {
          ...process.env,
          SOURCE_KUBECONFIG: env.kube.kubeconfig,
          TARGET_KUBECONFIG: env.kube.kubeconfig,
          STOWAGE_STORE: "./migrations",
        },
      },
    );
    assert.match(stdout, /^backup migrate-.* Completed, \d+ items$/m);
    assert.match(
      stdout,
      new RegExp(`^restore into ${target} on .*: Completed, \\d+ items, \\d+ warnings, 0 errors$`, "m"),
    );
    assert.deepEqual((await cluster.get("configmaps", "settings", { namespace: target })).data, {
      color: "blue",
    });
  });
});
