import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  backup,
  type Cluster,
  collectGarbage,
  deleteBackup,
  type ObjectStore,
  type PodVolumeDeleteOptions,
  pruneRepositories,
} from "../../lib/index.ts";
import type { ResticBackend } from "../../lib/podvolume/backend.ts";
import { repositoryAddress } from "../../lib/podvolume/backend.ts";
import { checkCommand, forgetCommand, snapshotsCommand } from "../../lib/podvolume/commands.ts";
import type { PodVolumeBackupRecord } from "../../lib/podvolume/index.ts";
import { findRepositoryKey } from "../../lib/podvolume/keys.ts";
import { type LocalDriver, localDriver } from "../../lib/podvolume/local-driver.ts";
import { decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { backupKeys } from "../../lib/store/layout.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, podOnNode } from "../support/node-player.ts";
import { harnessNode, resticPath, tempS3Location } from "./support.ts";
import { makeTree } from "./tree.ts";

const DAY = 86_400_000;

/** The restic snapshots of `namespace`'s repository, as full IDs. */
const snapshotsIn = async (
  cluster: Cluster,
  driver: LocalDriver,
  backend: ResticBackend,
  namespace: string,
  credentialsNamespace: string,
): Promise<string[]> => {
  const key = await findRepositoryKey(cluster, namespace, { credentialsNamespace });
  assert.ok(key, `a repository key for ${namespace}`);
  const repository = { address: repositoryAddress(backend, namespace), key };
  const listed = await driver.run(snapshotsCommand(repository.address), repository, { collectStdout: true });
  assert.equal(listed.exitCode, 0, listed.stderr);
  return (JSON.parse(listed.stdout) as Array<{ id: string }>).map((s) => s.id).sort();
};

/** `namespace` → snapshot ID of backup `name`'s PodVolumeBackups. */
const snapshotsOf = async (store: ObjectStore, name: string): Promise<Map<string, string>> => {
  const key = backupKeys(name).podVolumeBackups;
  const records = (await decodeJsonGz<PodVolumeBackupRecord[]>(await getBuffer(store, key), key)) ?? [];
  return new Map(records.map((r) => [r.spec.pod.namespace, r.status.snapshotID ?? ""]));
};

const exists = (store: ObjectStore, name: string) => store.exists(backupKeys(name).metadata);

describe("deleting backups forgets their restic snapshots (real restic against MinIO, harness plays the node)", () => {
  it("deleteBackup and collectGarbage forget exactly the backup's snapshots, refuse without podVolumes, keep the backup when restic fails, and retry cleanly; pruneRepositories then frees their data", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pvd-system");
    const apps = [await makeNamespace(cluster, "pvd-a"), await makeNamespace(cluster, "pvd-b")];
    const dirs: string[] = [];
    const node = await harnessNode(cluster);
    const { store, backend } = await tempS3Location();
    for (const namespace of apps) {
      const pod = await createRunningPod(
        cluster,
        podOnNode({
          namespace,
          name: "web",
          node: node.name,
          annotations: { "backup.velero.io/backup-volumes": "data" },
        }),
      );
      const dir = node.emptyDir(pod.metadata?.uid ?? "", "data");
      dirs.push(dir);
      await makeTree(dir, { bigFileBytes: 4096, smallFiles: 5 });
    }
    const driver = localDriver({
      resticPath: resticPath(),
      kubeletRootDir: node.kubeletDir,
      cacheDir: false,
    });
    const podVolumes: PodVolumeDeleteOptions = { cluster, backend, credentialsNamespace: system, driver };
    const take = async () => {
      const name = `pvd-${uniqueSuffix()}`;
      // data only this backup holds, so a prune after its deletion has something to free
      for (const dir of dirs) await writeFile(join(dir, "unique.bin"), randomBytes(256 * 1024));
      const result = await backup({
        cluster,
        store,
        name,
        includedNamespaces: apps,
        podVolumes: { driver, backend, credentialsNamespace: system },
      });
      assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
      return { name, ids: await snapshotsOf(store, name) };
    };
    const inRepo = (namespace: string) => snapshotsIn(cluster, driver, backend, namespace, system);
    const [b1, b2, b3] = [await take(), await take(), await take()];
    for (const [i, namespace] of apps.entries()) {
      assert.deepEqual(
        await inRepo(namespace),
        [b1, b2, b3].map((b) => b.ids.get(namespace)).sort(),
        `repository ${i} holds one snapshot per backup`,
      );
    }

    // without podVolumes: refused before anything is deleted
    await assert.rejects(deleteBackup(store, b1.name), {
      code: "ERR_CONFIG",
      message: new RegExp(
        `backup "${b1.name}" has 2 restic pod volume snapshot\\(s\\) in the repositories of namespace\\(s\\) \\[${apps[0]}, ${apps[1]}\\]: pass podVolumes.*nothing was deleted`,
      ),
    });
    assert.ok(await exists(store, b1.name));

    // keys looked for in the wrong namespace: restic cannot open the repositories, the backup stays whole
    const other = await makeNamespace(cluster, "pvd-nokeys");
    await assert.rejects(
      deleteBackup(store, b1.name, { podVolumes: { ...podVolumes, credentialsNamespace: other } }),
      (error: Error) => {
        assert.match(
          error.message,
          new RegExp(
            `backup "${b1.name}" was not deleted from the store because the restic snapshots of 2 namespace\\(s\\) could not be forgotten`,
          ),
        );
        assert.match(
          error.message,
          new RegExp(`namespace ${apps[0]} \\(1 snapshot\\(s\\): ${b1.ids.get(apps[0] ?? "")}\\)`),
        );
        assert.match(error.message, /no repository key for namespace/);
        return true;
      },
    );
    assert.ok(await exists(store, b1.name));

    // with them: b1's snapshots are forgotten, nothing else
    const deleted = await deleteBackup(store, b1.name, { podVolumes });
    assert.deepEqual(deleted.forgottenPodVolumeSnapshots.sort(), [...b1.ids.values()].sort());
    assert.ok(deleted.deleted.length > 0);
    assert.equal(await exists(store, b1.name), false);
    for (const namespace of apps) {
      assert.deepEqual(await inRepo(namespace), [b2, b3].map((b) => b.ids.get(namespace)).sort());
    }

    // GC: an expired backup with snapshots is an error without podVolumes, and stays
    const later = () => new Date(Date.now() + 400 * DAY);
    const refused = await collectGarbage({ store, now: later });
    assert.deepEqual(refused.deleted, []);
    assert.deepEqual(refused.errors.map((e) => e.name).sort(), [b2.name, b3.name].sort());
    assert.match(refused.errors[0]?.error ?? "", /restic pod volume snapshot\(s\).*nothing was deleted/);

    // a snapshot forgotten earlier (a deletion that failed half-way) is fine the second time
    const key = await findRepositoryKey(cluster, apps[0] ?? "", { credentialsNamespace: system });
    const repository = { address: repositoryAddress(backend, apps[0] ?? ""), key: key! };
    const early = b2.ids.get(apps[0] ?? "") ?? "";
    const forgot = await driver.run(forgetCommand(repository.address, { snapshotIds: [early] }), repository);
    assert.equal(forgot.exitCode, 0, forgot.stderr);

    // podVolumes: false deletes b3 and leaves its snapshots
    const kept = await deleteBackup(store, b3.name, { podVolumes: false });
    assert.deepEqual(kept.forgottenPodVolumeSnapshots, []);
    assert.equal(await exists(store, b3.name), false);

    const collected = await collectGarbage({ store, now: later, podVolumes });
    assert.deepEqual(collected.errors, []);
    assert.deepEqual(
      collected.deleted.map((d) => d.name),
      [b2.name],
    );
    assert.equal(await exists(store, b2.name), false);
    for (const namespace of apps) {
      assert.deepEqual(
        await inRepo(namespace),
        [b3.ids.get(namespace)],
        `only b3's snapshot is left in ${namespace}`,
      );
    }

    // maintenance frees the data of b1 and b2 (b3's was kept by podVolumes: false); a namespace asked
    // for without a repository is skipped, one whose key is elsewhere is an error, not an exception
    const [a0, a1] = apps as [string, string];
    const pruned = await pruneRepositories({
      cluster,
      store,
      backend,
      driver,
      credentialsNamespace: system,
      namespaces: [...apps, other],
    });
    assert.deepEqual(pruned.errors, []);
    assert.deepEqual(
      pruned.skipped.map((s) => s.namespace),
      [other],
    );
    assert.deepEqual(pruned.pruned.map((p) => p.namespace).sort(), [a0, a1].sort());
    for (const p of pruned.pruned) {
      const removed = /total prune:\s+(\d+) blobs/.exec(p.removed);
      assert.ok(removed && Number(removed[1]) >= 2, `b1's and b2's unique data freed: ${p.removed}`);
    }
    // what is left is whole: b3's snapshot checks out
    const check = await driver.run(checkCommand(repository.address), repository);
    assert.equal(check.exitCode, 0, check.stderr);
    assert.deepEqual(await inRepo(a0), [b3.ids.get(a0)]);

    const wrongKeys = await pruneRepositories({
      cluster,
      store,
      backend,
      driver,
      credentialsNamespace: other,
    });
    assert.deepEqual(wrongKeys.pruned, []);
    assert.deepEqual(wrongKeys.errors.map((e) => e.namespace).sort(), [a0, a1].sort());
    assert.match(wrongKeys.errors[0]?.error ?? "", /no key for it in the Secrets of namespace/);
  });
});
