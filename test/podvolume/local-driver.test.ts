import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import { ConfigError, ValidationError } from "../../lib/index.ts";
import { repositoryAddress } from "../../lib/podvolume/backend.ts";
import { snapshotsCommand } from "../../lib/podvolume/commands.ts";
import { findRepositoryKey, RepositoryKey, STOWAGE_KEY_SECRET } from "../../lib/podvolume/keys.ts";
import { localDriver } from "../../lib/podvolume/local-driver.ts";
import { ResticError } from "../../lib/podvolume/output.ts";
import { getRepositories, initRepository } from "../../lib/podvolume/repository.ts";
import { getBuffer, listAll } from "../../lib/store/index.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { resticPath, tempDir, tempS3Location } from "./support.ts";
import { makeTree, manifest } from "./tree.ts";

describe("local driver (real restic 0.18.1 against MinIO)", () => {
  it("backs up a tree with a 100 MB file, 1500 small files, symlinks and odd modes/owners, and restores it elsewhere identical", async () => {
    const cluster = await connectTest();
    const keys = await makeNamespace(cluster, "pv-keys");
    const { store, backend } = await tempS3Location();
    const driver = localDriver({ resticPath: resticPath(), cacheDir: tempDir("cache") });
    const init = await initRepository({
      cluster,
      backend,
      namespace: "shop",
      credentialsNamespace: keys,
      driver,
    });
    assert.equal(init.created, true);
    assert.equal(
      init.repository,
      `${backend.type === "s3" ? `s3:${backend.endpoint}/${backend.bucket}` : ""}/velero/restic/shop`,
    );
    assert.ok(
      await store.exists("restic/shop/config"),
      "the repository lives under <prefix>/restic/<namespace>",
    );

    const source = tempDir("src");
    await makeTree(source);
    const key = await findRepositoryKey(cluster, "shop", { credentialsNamespace: keys });
    assert.ok(key);
    const repository = { address: repositoryAddress(backend, "shop"), key };
    const progress: number[] = [];
    const backedUp = await driver.backupDirectory({
      repository,
      directory: source,
      tags: { backup: "b1", ns: "shop", pod: "web-0", volume: "data" },
      onProgress: (p) => progress.push(p.bytesDone),
    });
    assert.match(backedUp.snapshotId, /^[0-9a-f]{64}$/);
    assert.ok(backedUp.progress.totalBytes > 100 * 1024 * 1024);
    assert.ok(backedUp.incrementalBytes > 100 * 1024 * 1024, "random data does not deduplicate");
    assert.deepEqual(backedUp.warnings, []);

    const target = join(tempDir("dst"), "restored");
    const restored = await driver.restoreDirectory({
      repository,
      directory: target,
      snapshotId: backedUp.snapshotId,
    });
    assert.equal(restored.progress.bytesDone, restored.progress.totalBytes);
    assert.deepEqual(await manifest(target), await manifest(source));
    assert.ok((await manifest(source)).length > 1500);

    const listed = await driver.run(
      snapshotsCommand(repository.address, { tags: { pod: "web-0" } }),
      repository,
      {
        collectStdout: true,
      },
    );
    const snapshots = JSON.parse(listed.stdout) as Array<{ id: string; hostname: string; tags: string[] }>;
    assert.deepEqual(
      snapshots.map((s) => [s.id, s.hostname, s.tags]),
      [[backedUp.snapshotId, "velero", ["backup=b1", "ns=shop", "pod=web-0", "volume=data"]]],
    );
  });

  it("a wrong key is a clear error, nothing in the repository or the Secret changes, and the key is never shown", async () => {
    const cluster = await connectTest();
    const keys = await makeNamespace(cluster, "pv-keys");
    const other = await makeNamespace(cluster, "pv-keys");
    const { store, backend } = await tempS3Location();
    const driver = localDriver({ resticPath: resticPath(), cacheDir: false });
    const right = "right-key-0123456789";
    const wrong = "wrong-key-9876543210";
    await initRepository({
      cluster,
      backend,
      namespace: "shop",
      keyData: right,
      credentialsNamespace: keys,
      driver,
    });
    const source = tempDir("src");
    await makeTree(source, { bigFileBytes: 1024, smallFiles: 10 });
    const repoKeys = async () => {
      const keysNow = await listAll(store, "restic/shop/");
      return Promise.all(keysNow.map(async (k) => `${k} ${(await getBuffer(store, k)).toString("base64")}`));
    };
    const before = await repoKeys();

    const badRepository = {
      address: repositoryAddress(backend, "shop"),
      key: new RepositoryKey(
        { secretNamespace: keys, secretName: STOWAGE_KEY_SECRET, secretKey: "shop" },
        wrong,
      ),
    };
    const failure = await driver.backupDirectory({ repository: badRepository, directory: source }).then(
      () => assert.fail("a backup with the wrong key succeeded"),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof ResticError);
    assert.equal(failure.failure, "wrong-key");
    assert.match(
      failure.message,
      /^wrong repository key for namespace shop: the key in Secret .*\[shop\] does not open the repository at s3:/,
    );
    assert.match(failure.message, /nothing was written/);

    // init with a different key on the existing repository (a credentials namespace without a stored key)
    const refused = await initRepository({
      cluster,
      backend,
      namespace: "shop",
      keyData: wrong,
      credentialsNamespace: other,
      driver,
    }).then(
      () => assert.fail("init with the wrong key succeeded"),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof ResticError && refused.failure === "wrong-key");
    assert.equal(
      await findRepositoryKey(cluster, "shop", { credentialsNamespace: other }),
      undefined,
      "the wrong key was not kept",
    );
    assert.deepEqual(await repoKeys(), before, "the repository is byte for byte unchanged");

    // a different key for a namespace that has one is refused before restic runs
    await assert.rejects(
      initRepository({
        cluster,
        backend,
        namespace: "shop",
        keyData: wrong,
        credentialsNamespace: keys,
        driver,
      }),
      (error: unknown) => error instanceof ConfigError && /already has a repository key/.test(error.message),
    );
    assert.equal((await findRepositoryKey(cluster, "shop", { credentialsNamespace: keys }))?.reveal(), right);

    for (const text of [
      failure.message,
      String(failure.cause ?? ""),
      (refused as Error).message,
      inspect(badRepository, { depth: 5 }),
      JSON.stringify(badRepository),
      `${badRepository.key}`,
    ]) {
      assert.ok(!text.includes(wrong) && !text.includes(right), `a key leaked into: ${text}`);
    }
  });

  it("initRepository takes --key-file/--key-data/--key-size, adopts an existing repository with its key, and accepts Velero's key", async () => {
    const cluster = await connectTest();
    const keys = await makeNamespace(cluster, "pv-keys");
    const { store, backend } = await tempS3Location();
    const driver = localDriver({ resticPath: resticPath(), cacheDir: false });
    const file = join(tempDir("key"), "key");
    await writeFile(file, "from-a-file-123456\n");
    const fromFile = await initRepository({
      cluster,
      backend,
      namespace: "files",
      keyFile: file,
      credentialsNamespace: keys,
      driver,
    });
    assert.equal(fromFile.created, true);
    assert.equal(
      (await findRepositoryKey(cluster, "files", { credentialsNamespace: keys }))?.reveal(),
      "from-a-file-123456",
    );
    const again = await initRepository({
      cluster,
      backend,
      namespace: "files",
      keyData: "from-a-file-123456",
      credentialsNamespace: keys,
      driver,
    });
    assert.equal(again.created, false, "the same key again adopts the repository");

    const generated = await initRepository({
      cluster,
      backend,
      namespace: "gen",
      keySize: 64,
      credentialsNamespace: keys,
      driver,
    });
    assert.equal(generated.created, true);
    const genKey = await findRepositoryKey(cluster, "gen", { credentialsNamespace: keys });
    assert.equal(genKey?.reveal().length, 64);
    assert.deepEqual(generated.key, {
      secretNamespace: keys,
      secretName: STOWAGE_KEY_SECRET,
      secretKey: "gen",
    });
    assert.ok(!JSON.stringify(generated).includes(genKey!.reveal()));

    await assert.rejects(
      initRepository({
        cluster,
        backend,
        namespace: "x",
        keyData: "a",
        keySize: 32,
        credentialsNamespace: keys,
        driver,
      }),
      (error: unknown) =>
        error instanceof ValidationError && /at most one of keyData, keyFile and keySize/.test(error.message),
    );
    await assert.rejects(
      initRepository({ cluster, backend, namespace: "x", keySize: 8, credentialsNamespace: keys, driver }),
      ValidationError,
    );

    // Velero's shared key opens namespaces without a key of their own
    await cluster.create("secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "velero-repo-credentials", namespace: keys },
      stringData: { "repository-password": "static-passw0rd" },
    });
    const velero = await findRepositoryKey(cluster, "legacy", { credentialsNamespace: keys });
    assert.equal(`${velero}`, `Secret ${keys}/velero-repo-credentials[repository-password]`);
    assert.equal(velero?.reveal(), "static-passw0rd");
    const repository = { address: repositoryAddress(backend, "legacy"), key: velero! };
    assert.deepEqual(await driver.ensureRepository(repository), { created: true });
    assert.equal(
      (await findRepositoryKey(cluster, "files", { credentialsNamespace: keys }))?.secretName,
      STOWAGE_KEY_SECRET,
    );

    const listed = await getRepositories({ cluster, store, backend, credentialsNamespace: keys });
    assert.deepEqual(
      listed.map((r) => [r.namespace, r.status, r.key?.secretName]),
      [
        ["files", "Ready", STOWAGE_KEY_SECRET],
        ["gen", "Ready", STOWAGE_KEY_SECRET],
        ["legacy", "Ready", "velero-repo-credentials"],
      ],
    );
  });

  it("says what to do when restic is not there", async () => {
    const driver = localDriver({ resticPath: "/nonexistent/restic" });
    const repository = {
      address: repositoryAddress({ type: "local", path: tempDir("repo") }, "shop"),
      key: new RepositoryKey({ secretNamespace: "v", secretName: "s", secretKey: "shop" }, "k-123456"),
    };
    await assert.rejects(
      driver.ensureRepository(repository),
      (error: unknown) =>
        error instanceof ResticError && /is restic on PATH\? set `resticPath`/.test(error.message),
    );
  });
});
