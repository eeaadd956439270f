/**
 * The built-in `local` snapshotter: the round trip with real files (hostPath and `local` PVs), sha256
 * equality of every file through snapshot and restore, and its config errors.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  backup,
  type KubeObject,
  listBackups,
  restore,
  type VolumeSnapshotLocation,
} from "../../lib/index.ts";
import { createLocalSnapshotter } from "../../lib/snapshot/providers/local.ts";
import { listAll } from "../../lib/store/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";
import { backedUpPv, gone, type ProviderFixture, type PvKind, readJsonGz, roundTrip } from "./roundtrip.ts";

/** relative path → sha256 of each file (or `-> target` of each symlink) under `root`. */
const digestTree = async (root: string): Promise<Record<string, string>> => {
  const out: Record<string, string> = {};
  const visit = async (relative: string) => {
    for (const name of await readdir(join(root, relative))) {
      const path = relative ? `${relative}/${name}` : name;
      const stats = await lstat(join(root, path));
      if (stats.isDirectory()) await visit(path);
      else if (stats.isSymbolicLink()) out[path] = `-> ${await readlink(join(root, path))}`;
      else
        out[path] = createHash("sha256")
          .update(await readFile(join(root, path)))
          .digest("hex");
    }
  };
  await visit("");
  return out;
};

/** A directory with nested files, an empty file, 3 MiB of random bytes and a symlink. */
const makeVolumeDir = async (parent: string, name: string): Promise<string> => {
  const dir = join(parent, name);
  await mkdir(join(dir, "db", "wal"), { recursive: true });
  await writeFile(join(dir, "db", "data.bin"), randomBytes(3 * 1024 * 1024));
  await writeFile(join(dir, "db", "wal", "0001.log"), `written by ${name}\n`);
  await writeFile(join(dir, "empty"), "");
  await symlink("db/data.bin", join(dir, "current"));
  return dir;
};

const localFixture = async (): Promise<ProviderFixture & { root: string; volumes: string }> => {
  const root = await mkdtemp(join(tmpdir(), "stowage-local-snapshots-"));
  const volumes = await mkdtemp(join(tmpdir(), "stowage-local-volumes-"));
  const sources = new Map<string, Record<string, string>>();
  return {
    root,
    volumes,
    location: { name: "local-default", provider: "local", config: { path: root } },
    async makeVolume(kind: PvKind, suffix: string) {
      const dir = await makeVolumeDir(volumes, `vol-${suffix}`);
      sources.set(dir, await digestTree(dir));
      const spec =
        kind === "local"
          ? {
              local: { path: dir },
              nodeAffinity: {
                required: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: "kubernetes.io/hostname", operator: "In", values: ["node-a"] },
                      ],
                    },
                  ],
                },
              },
            }
          : { hostPath: { path: dir, type: "Directory" } };
      return { volumeId: dir, spec };
    },
    volumeIdOf: (pv: KubeObject) => {
      const spec = pv.spec as { hostPath?: { path: string }; local?: { path: string } };
      return spec.hostPath?.path ?? spec.local?.path ?? "";
    },
    async checkSnapshot(record, { backupName, pvName, volume }) {
      const dir = join(root, "snapshots", record.status.providerSnapshotID!);
      assert.deepEqual(await digestTree(join(dir, "data")), sources.get(volume.volumeId));
      const meta = JSON.parse(await readFile(join(dir, "snapshot.json"), "utf8"));
      assert.equal(meta.volumeId, volume.volumeId);
      assert.equal(meta.tags["velero.io/backup"], backupName);
      assert.equal(meta.tags["velero.io/pv"], pvName);
      assert.equal(meta.tags["velero.io/storage-location"], "default");
      assert.equal(record.spec.volumeType, "directory");
      assert.equal(record.spec.volumeIOPS, undefined);
    },
    async checkRestored(volumeId, _record, volume) {
      assert.ok(
        volumeId.startsWith(join(root, "volumes")),
        `restored under the location's volumes dir: ${volumeId}`,
      );
      assert.deepEqual(
        await digestTree(volumeId),
        sources.get(volume.volumeId),
        "every file's sha256 is equal",
      );
    },
    async checkDeleted(record) {
      assert.equal(existsSync(join(root, "snapshots", record.status.providerSnapshotID!)), false);
    },
  };
};

describe("local volume snapshotter", () => {
  test("hostPath PV: backup → delete namespace and PV → restore from the snapshot → deleteBackup", async () => {
    const fixture = await localFixture();
    const { progress } = await roundTrip(fixture, "in-tree");
    assert.ok(
      progress.some((line) => /bytes copied/.test(line)),
      `progress was reported: ${progress.join(" | ")}`,
    );
  });

  test("local PV (with node affinity): the same round trip", async () => {
    await roundTrip(await localFixture(), "local");
  });

  test("restore under a namespace mapping while the PV still exists: a renamed PV on a new volume", async () => {
    const fixture = await localFixture();
    const {
      cluster,
      ns,
      pvName,
      volume,
      store,
      backup: b,
    } = await backedUpPv(fixture, "in-tree", "snap-map");
    const locations: VolumeSnapshotLocation[] = [fixture.location];
    assert.equal(b.phase, "Completed");

    const target = `${ns}-copy`;
    const r = await restore({
      cluster,
      store,
      backupName: b.name,
      namespaceMapping: { [ns]: target },
      volumeSnapshotLocations: locations,
    });
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    assert.equal(r.phase, "Completed", JSON.stringify(r.errors));
    const claim = await cluster.get("persistentvolumeclaims", "data", { namespace: target });
    const clone = (claim.spec as { volumeName: string }).volumeName;
    assert.match(clone, /^velero-clone-[0-9a-f-]{36}$/);
    const pv = await cluster.get("persistentvolumes", clone);
    await cluster.delete("persistentvolumes", clone).catch(() => undefined);
    assert.equal(pv.metadata?.annotations?.["velero.io/original-pv-name"], pvName);
    assert.deepEqual((pv.spec as { claimRef: { namespace: string } }).claimRef.namespace, target);
    const newDir = fixture.volumeIdOf(pv);
    assert.notEqual(newDir, volume.volumeId);
    assert.deepEqual(await digestTree(newDir), await digestTree(volume.volumeId));
    // the original PV is untouched
    assert.equal(fixture.volumeIdOf(await cluster.get("persistentvolumes", pvName)), volume.volumeId);
    const infos = await readJsonGz<Array<{ pvName: string }>>(
      store,
      `restores/${r.name}/${r.name}-volumeinfo.json.gz`,
    );
    assert.deepEqual(
      infos.map((i) => i.pvName),
      [clone],
    );
  });

  test("restorePVs: false restores the PV as it was, without a new volume", async () => {
    const fixture = await localFixture();
    const {
      cluster,
      ns,
      pvName,
      volume,
      store,
      backup: b,
    } = await backedUpPv(fixture, "in-tree", "snap-nopv");
    await cluster.delete("namespaces", ns);
    await gone(cluster, "namespaces", ns);
    await cluster.delete("persistentvolumes", pvName);
    await gone(cluster, "persistentvolumes", pvName);
    const before = await readdir(join(fixture.root, "volumes"));
    const r = await restore({ cluster, store, backupName: b.name, restorePVs: false });
    assert.equal(r.phase, "Completed", JSON.stringify(r.errors));
    assert.equal(fixture.volumeIdOf(await cluster.get("persistentvolumes", pvName)), volume.volumeId);
    assert.deepEqual(await readdir(join(fixture.root, "volumes")), before, "no volume was created");
  });

  test("a snapshot that fails makes the backup PartiallyFailed, naming the PV, and the PV is not written", async () => {
    const fixture = await localFixture();
    // a hostPath PV whose directory does not exist: getVolumeInfo fails
    const missing = join(fixture.volumes, "missing-dir");
    const broken = {
      ...fixture,
      makeVolume: async () => ({ volumeId: missing, spec: { hostPath: { path: missing } } }),
    };
    const { pvName, ns, store, backup: b } = await backedUpPv(broken, "in-tree", "snap-fail");
    assert.equal(b.phase, "PartiallyFailed");
    assert.match(
      JSON.stringify(b.errors.cluster ?? []),
      new RegExp(`name: /${pvName} message: /error getting volume info`),
    );
    assert.equal(b.backup.status?.volumeSnapshotsAttempted, undefined);
    const list = await readJsonGz<Record<string, string[]>>(
      store,
      `backups/${b.name}/${b.name}-resource-list.json.gz`,
    );
    assert.equal(list["v1/PersistentVolume"], undefined, "the PV is not in the backup");
    assert.deepEqual(list["v1/PersistentVolumeClaim"], [`${ns}/data`]);
    assert.equal((await listBackups(store)).length, 1);
  });

  test("config errors come before anything is written", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    const attempt = (location: VolumeSnapshotLocation) =>
      backup({
        cluster,
        store,
        name: "never",
        includedNamespaces: ["default"],
        volumeSnapshotLocations: [location],
      });
    await assert.rejects(attempt({ name: "l", provider: "local", config: { path: "/tmp/x", bogus: "1" } }), {
      code: "ERR_CONFIG",
      message:
        /volume snapshot location "l" \(stowage\.dev\/local\): stowage\.dev\/local: invalid keys \[bogus\]; valid keys are \[path, volumesPath\]/,
    });
    await assert.rejects(attempt({ name: "l", provider: "local" }), {
      code: "ERR_CONFIG",
      message: /missing path/,
    });
    await assert.rejects(attempt({ name: "l", provider: "nope" }), {
      code: "ERR_VALIDATION",
      message:
        /unknown volume snapshotter "nope" \(resolved to "velero\.io\/nope"\); registered ones are \[stowage\.dev\/local, velero\.io\/aws, velero\.io\/azure, velero\.io\/gcp\]/,
    });
    await assert.rejects(
      backup({
        cluster,
        store,
        name: "never",
        volumeSnapshotLocations: [
          { name: "a", provider: "local", config: { path: "/tmp/a" } },
          { name: "b", provider: "stowage.dev/local", config: { path: "/tmp/b" } },
        ],
      }),
      {
        code: "ERR_VALIDATION",
        message: /more than one volume snapshot location for provider stowage\.dev\/local \("a" and "b"\)/,
      },
    );
    assert.deepEqual(await listAll(store, ""), [], "nothing was written");
  });

  test("the snapshotter on its own: IDs are checked, deleting a missing snapshot is fine", async () => {
    const snapshotter = createLocalSnapshotter();
    await snapshotter.init({ path: await mkdtemp(join(tmpdir(), "stowage-local-")) });
    await snapshotter.deleteSnapshot("snap-00000000-0000-0000-0000-000000000000");
    await assert.rejects(snapshotter.deleteSnapshot("../../etc"), /is not a local snapshot ID/);
    assert.equal(snapshotter.getVolumeId({ spec: { nfs: { path: "/x", server: "s" } } }), "");
    assert.equal(snapshotter.getVolumeId({ spec: { hostPath: { path: "relative" } } }), "");
  });
});
