import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Cluster } from "../../lib/index.ts";
import type { ResticBackend } from "../../lib/podvolume/backend.ts";
import { jobDriver } from "../../lib/podvolume/job-driver.ts";
import {
  findRepositoryKey,
  generateKey,
  STOWAGE_KEY_SECRET,
  storeRepositoryKey,
} from "../../lib/podvolume/keys.ts";
import { localDriver } from "../../lib/podvolume/local-driver.ts";
import { createRepositoryOpener, getRepositories } from "../../lib/podvolume/repository.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { startNodePlayer } from "../support/node-player.ts";
import { IMAGE, resticPath, tempDir, tempS3Location } from "./support.ts";

const storedKey = async (cluster: Cluster, namespace: string, secretNamespace: string) => {
  const secret = await cluster.get("secrets", STOWAGE_KEY_SECRET, { namespace: secretNamespace });
  const value = (secret.data as Record<string, string>)[namespace];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
};

/**
 * A directory with a `restic` that runs the real restic, except that its first successful `init` is
 * followed by a failure: `container` kills the shell that called it (the Job's container dies, as when
 * it is OOM-killed or its node goes away), `process` exits 1 (the reply was lost). Either way the
 * repository was written and the caller cannot know it.
 */
const resticFailingAfterInit = (mode: "container" | "process"): string => {
  const dir = tempDir("restic-wrapper");
  const flag = join(dir, "init-failed-once");
  const fail =
    mode === "container"
      ? "kill -KILL $PPID; exit 137"
      : 'echo "Fatal: connection reset while reading the reply" >&2; exit 1';
  writeFileSync(
    join(dir, "restic"),
    `#!/bin/sh
'${resticPath()}' "$@"; rc=$?
for arg in "$@"; do
  if [ "$arg" = init ] && [ "$rc" -eq 0 ] && [ ! -e '${flag}' ]; then
    : > '${flag}'
    ${fail}
  fi
done
exit $rc
`,
  );
  chmodSync(join(dir, "restic"), 0o755);
  return dir;
};

describe("repository keys", () => {
  it("stores of different keys for one namespace at once all end with the one stored first", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    // no Secret yet (each create but one gets AlreadyExists), then a Secret holding another namespace's
    // key (each update but one gets a Conflict)
    for (const namespace of ["first", "second"]) {
      const keys = Array.from({ length: 4 }, () => generateKey(64));
      const stored = await Promise.all(
        keys.map((key) =>
          storeRepositoryKey(cluster, namespace, key, { credentialsNamespace: system, adopt: true }),
        ),
      );
      const winner = await storedKey(cluster, namespace, system);
      assert.ok(winner && keys.includes(winner));
      assert.deepEqual(
        stored.map((k) => k.reveal()),
        keys.map(() => winner),
        `every store of ${namespace} returns the key that was stored`,
      );
    }
    // without adopt, a different key is refused, never replaced
    await assert.rejects(
      storeRepositoryKey(cluster, "first", generateKey(64), { credentialsNamespace: system }),
      (error: Error & { code?: string }) => error.code === "ERR_ALREADY_EXISTS",
    );
  });

  it("two first backups of a namespace at once use one key: the later adopts the key of the first", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const { store, backend } = await tempS3Location();
    const driver = localDriver({ resticPath: resticPath() });
    const open = () =>
      createRepositoryOpener({ cluster, backend, driver, credentialsNamespace: system, create: true }).open(
        app,
      );
    const [a, b] = await Promise.all([open(), open()]);
    assert.equal(a.key.reveal(), b.key.reveal());
    assert.equal(await storedKey(cluster, app, system), a.key.reveal());
    assert.deepEqual(
      (
        await getRepositories({ cluster, store, backend, namespaces: [app], credentialsNamespace: system })
      ).map((r) => r.status),
      ["Ready"],
    );
    assert.deepEqual(await driver.ensureRepository(a), { created: false }, "the repository opens with it");
  });

  it("a key stays stored when the restic Job dies right after init wrote the repository (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const { store, backend } = await tempS3Location();
    const node = await startNodePlayer({
      cluster,
      kubeletDir: tempDir("kubelet"),
      runImages: [IMAGE],
      path: [resticFailingAfterInit("container")],
    });
    onCleanup(() => node.stop());
    const driver = jobDriver({
      cluster,
      namespace: system,
      image: IMAGE,
      pollIntervalMs: 200,
      timeoutMs: 120_000,
    });
    const opener = (b: ResticBackend) =>
      createRepositoryOpener({ cluster, backend: b, driver, credentialsNamespace: system, create: true });

    await assert.rejects(opener(backend).open(app, node.name));
    assert.deepEqual(
      node.executed.filter((e) => e.namespace === system).map((e) => e.exitCode),
      [137],
      "the ensure Job's container was killed",
    );
    const kept = await findRepositoryKey(cluster, app, { credentialsNamespace: system });
    assert.ok(kept, "the key of a repository that may exist is kept");
    assert.deepEqual(
      (
        await getRepositories({ cluster, store, backend, namespaces: [app], credentialsNamespace: system })
      ).map((r) => r.status),
      ["Ready"],
      "the repository was written, and its key is there",
    );

    // the next backup opens it with that key
    const again = await opener(backend).open(app, node.name);
    assert.equal(again.key.reveal(), kept.reveal());
    assert.deepEqual(
      node.executed.filter((e) => e.namespace === system).map((e) => e.exitCode),
      [137, 0],
    );
  });

  it("a restic init in a Job that fails after writing the repository is found by the probe after it (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const { backend } = await tempS3Location();
    const node = await startNodePlayer({
      cluster,
      kubeletDir: tempDir("kubelet"),
      runImages: [IMAGE],
      path: [resticFailingAfterInit("process")],
    });
    onCleanup(() => node.stop());
    const driver = jobDriver({
      cluster,
      namespace: system,
      image: IMAGE,
      pollIntervalMs: 200,
      timeoutMs: 120_000,
    });
    const repository = await createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    }).open(app, node.name);
    assert.equal(await storedKey(cluster, app, system), repository.key.reveal());
    assert.deepEqual(
      node.executed.filter((e) => e.namespace === system).map((e) => e.exitCode),
      [0],
      "one ensure Job, which succeeded",
    );
  });

  it("a local restic init that fails after writing the repository is found by the probe that follows it", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const { store, backend } = await tempS3Location();
    const driver = localDriver({ resticPath: join(resticFailingAfterInit("process"), "restic") });
    const repository = await createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    }).open(app);
    assert.equal(await storedKey(cluster, app, system), repository.key.reveal());
    assert.deepEqual(
      (
        await getRepositories({ cluster, store, backend, namespaces: [app], credentialsNamespace: system })
      ).map((r) => r.status),
      ["Ready"],
    );
  });
});
