/**
 * The `aws` snapshotter against moto (a real EC2 peer the harness starts): EBS volumes created in moto,
 * PVs pointing at them (in-tree `awsElasticBlockStore` and CSI `ebs.csi.aws.com`), the backup/restore
 * round trip, the standalone snapshot() API, and config errors.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import {
  CreateVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Tag,
} from "@aws-sdk/client-ec2";
import {
  awsVolumeSnapshotter,
  backup,
  connect,
  deleteBackup,
  type KubeObject,
  listBackups,
  registerVolumeSnapshotter,
  snapshot,
  type VolumeSnapshotLocation,
  volumeFromSnapshot,
} from "../../lib/index.ts";
import { createAwsSnapshotter } from "../../lib/snapshot/providers/aws.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { eventually } from "../support/fixtures.ts";
import { loseFirstPostTo, startLossyProxy } from "../support/flaky-proxy.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";
import { backedUpPv, makeClaimedPv, type ProviderFixture, type PvKind, roundTrip } from "./roundtrip.ts";

const ZONE = "us-east-1a";
let ec2: EC2Client;
let location: VolumeSnapshotLocation;

before(async () => {
  const { moto } = await testEnv();
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  onCleanup(() => ec2.destroy());
  // the built-in aws snapshotter, pointed at moto (as a user would point it at LocalStack)
  registerVolumeSnapshotter(
    "aws",
    awsVolumeSnapshotter({ endpoint: moto.endpoint, credentials: moto.credentials, pollIntervalMs: 50 }),
    { replace: true },
  );
  location = { name: "default", provider: "aws", config: { region: moto.region } };
});

const tagMap = (tags: readonly Tag[] | undefined) =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
const VOLUME_ID = /vol-.*/;

const awsFixture = (): ProviderFixture => ({
  location,
  async makeVolume(kind: PvKind, suffix: string) {
    const io = kind === "in-tree";
    const created = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: ZONE,
        Size: 1,
        VolumeType: io ? "io2" : "gp3",
        ...(io ? { Iops: 1000 } : {}),
        TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "team", Value: suffix }] }],
      }),
    );
    const volumeId = created.VolumeId!;
    if (kind === "in-tree") {
      return {
        volumeId,
        labels: { "topology.kubernetes.io/zone": ZONE, "failure-domain.beta.kubernetes.io/zone": ZONE },
        spec: { awsElasticBlockStore: { volumeID: `aws://${ZONE}/${volumeId}`, fsType: "ext4" } },
      };
    }
    return {
      volumeId,
      spec: {
        csi: { driver: "ebs.csi.aws.com", volumeHandle: volumeId, fsType: "ext4" },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [{ key: "topology.ebs.csi.aws.com/zone", operator: "In", values: [ZONE] }],
              },
            ],
          },
        },
      },
    };
  },
  volumeIdOf(pv: KubeObject) {
    const spec = pv.spec as { csi?: { volumeHandle: string }; awsElasticBlockStore?: { volumeID: string } };
    if (spec.awsElasticBlockStore) {
      assert.match(
        spec.awsElasticBlockStore.volumeID,
        new RegExp(`^aws://${ZONE}/vol-`),
        "in-tree IDs keep the zone",
      );
    }
    return VOLUME_ID.exec(spec.csi?.volumeHandle ?? spec.awsElasticBlockStore?.volumeID ?? "")?.[0] ?? "";
  },
  async checkSnapshot(record, { backupName, pvName, volume }) {
    const { Snapshots = [] } = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [record.status.providerSnapshotID!] }),
    );
    assert.equal(Snapshots.length, 1);
    const snap = Snapshots[0]!;
    assert.equal(snap.VolumeId, volume.volumeId);
    const tags = tagMap(snap.Tags);
    assert.equal(tags["velero.io/backup"], backupName);
    assert.equal(tags["velero.io/pv"], pvName);
    assert.equal(tags["velero.io/storage-location"], "default");
    assert.ok(tags.team, "the volume's tags are copied");
    assert.equal("Name" in tags, false, "Velero sets no Name tag");
    assert.equal(record.spec.volumeAZ, ZONE);
    const io = "awsElasticBlockStore" in volume.spec;
    assert.equal(record.spec.volumeType, io ? "io2" : "gp3");
    assert.equal(
      record.spec.volumeIOPS,
      io ? 1000 : 0,
      "IOPS recorded for io1/io2 only, else 0 as Velero does",
    );
  },
  async checkRestored(volumeId, record) {
    const { Volumes = [] } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const created = Volumes[0]!;
    assert.equal(created.SnapshotId, record.status.providerSnapshotID);
    assert.equal(created.AvailabilityZone, ZONE);
    assert.equal(created.VolumeType, record.spec.volumeType);
    if (record.spec.volumeType === "io2") assert.equal(created.Iops, 1000);
    assert.equal(
      tagMap(created.Tags)["velero.io/backup"],
      record.spec.backupName,
      "the snapshot's tags are copied",
    );
  },
  async checkDeleted(record) {
    await assert.rejects(
      ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [record.status.providerSnapshotID!] })),
      { name: "InvalidSnapshot.NotFound" },
    );
  },
});

describe("aws volume snapshotter against moto", () => {
  test("in-tree awsElasticBlockStore PV (io2): backup → delete → restore from the EBS snapshot → deleteBackup", async () => {
    await roundTrip(awsFixture(), "in-tree");
  });

  test("CSI ebs.csi.aws.com PV (gp3, zone from node affinity): the same round trip", async () => {
    await roundTrip(awsFixture(), "csi");
  });

  test("deleteBackup without the snapshots' location deletes nothing and says which location", async () => {
    const { store, backup: b } = await backedUpPv(awsFixture(), "csi", "snap-keep");
    await assert.rejects(deleteBackup(store, b.name), {
      code: "ERR_CONFIG",
      message: /has 1 volume snapshot\(s\) in location\(s\) \[default\] that were not given/,
    });
    assert.deepEqual(
      (await listBackups(store)).map((x) => x.metadata.name),
      [b.name],
    );
    const deleted = await deleteBackup(store, b.name, { volumeSnapshotLocations: [location] });
    assert.equal(deleted.deletedSnapshots.length, 1);
    // deleting a snapshot that is already gone is not an error (Velero's rule)
    const { moto } = await testEnv();
    const snapshotter = createAwsSnapshotter({ endpoint: moto.endpoint, credentials: moto.credentials });
    await snapshotter.init({ region: moto.region });
    await snapshotter.deleteSnapshot(deleted.deletedSnapshots[0]!);
    await snapshotter.close?.();
  });

  test("snapshot() of a claim now, then volumeFromSnapshot() makes a new PV and a claim bound to it", async () => {
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "snap-api");
    const pvName = `pv-${ns}`;
    const volume = await awsFixture().makeVolume("csi", ns);
    await makeClaimedPv(cluster, ns, pvName, volume);
    const states: string[] = [];
    const taken = await snapshot({
      cluster,
      location,
      persistentVolumeClaim: { namespace: ns, name: "data" },
      tags: { purpose: "test" },
      onProgress: (p) => states.push(p.state),
    });
    assert.equal(taken.record.status.phase, "Completed");
    assert.equal(taken.record.spec.persistentVolumeName, pvName);
    assert.equal(taken.record.spec.providerVolumeID, volume.volumeId);
    const { Snapshots = [] } = await ec2.send(
      new DescribeSnapshotsCommand({ SnapshotIds: [taken.record.status.providerSnapshotID!] }),
    );
    assert.deepEqual(
      { purpose: tagMap(Snapshots[0]?.Tags).purpose, pv: tagMap(Snapshots[0]?.Tags)["velero.io/pv"] },
      { purpose: "test", pv: pvName },
    );

    const copy = `${pvName}-copy`;
    onCleanup(() => cluster.delete("persistentvolumes", copy).catch(() => undefined));
    const made = await volumeFromSnapshot({
      cluster,
      location,
      snapshot: taken,
      persistentVolumeName: copy,
      persistentVolumeClaim: { namespace: ns, name: "data-copy" },
    });
    const handle = (made.persistentVolume.spec as { csi: { volumeHandle: string } }).csi.volumeHandle;
    assert.equal(handle, made.volumeId);
    const { Volumes = [] } = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [made.volumeId] }));
    assert.equal(Volumes[0]?.SnapshotId, taken.record.status.providerSnapshotID);
    await eventually("the new claim is bound to the new PV", async () => {
      const pvc = await cluster.get("persistentvolumeclaims", "data-copy", { namespace: ns });
      return (
        (pvc.spec as { volumeName?: string }).volumeName === copy &&
        (pvc.status as { phase?: string } | undefined)?.phase === "Bound"
      );
    });
  });

  test("volumeFromSnapshot() whose PV and claim creates lose their answers: one PV and one claim, adopted", async () => {
    const admin = await connectTest();
    const ns = await makeNamespace(admin, "snap-lost");
    const pvName = `pv-${ns}`;
    await makeClaimedPv(admin, ns, pvName, await awsFixture().makeVolume("csi", ns));
    const taken = await snapshot({
      cluster: admin,
      location,
      persistentVolumeClaim: { namespace: ns, name: "data" },
    });
    const copy = `${pvName}-copy`;
    onCleanup(() => admin.delete("persistentvolumes", copy).catch(() => undefined));
    // the apiserver creates the PV and the claim, but neither answer arrives
    const { kubeconfig, seen } = await startLossyProxy(
      loseFirstPostTo(["/api/v1/persistentvolumes", `/api/v1/namespaces/${ns}/persistentvolumeclaims`]),
    );
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 } });
    onCleanup(() => cluster.close());
    const made = await volumeFromSnapshot({
      cluster,
      location,
      snapshot: taken,
      persistentVolumeName: copy,
      persistentVolumeClaim: { namespace: ns, name: "data-copy" },
    });
    assert.equal(made.persistentVolume.metadata?.name, copy);
    assert.equal(made.persistentVolumeClaim?.metadata?.name, "data-copy");
    assert.deepEqual(
      seen.filter((r) => r.plan === "lose-response").map((r) => r.url.split("?")[0]),
      ["/api/v1/persistentvolumes", `/api/v1/namespaces/${ns}/persistentvolumeclaims`],
      "both answers were lost",
    );
    assert.equal(seen.filter((r) => r.method === "POST").length, 2, "neither create was repeated");
    const claims = await admin.list("persistentvolumeclaims", { namespace: ns });
    assert.deepEqual(claims.map((c) => c.metadata?.name).sort(), ["data", "data-copy"]);
    const handle = (made.persistentVolume.spec as { csi: { volumeHandle: string } }).csi.volumeHandle;
    assert.equal(handle, made.volumeId);
  });

  test("config errors name the location and what to fix, before any backup starts", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    const { moto } = await testEnv();
    const attempt = (config: Record<string, string>, provider = "aws") =>
      backup({
        cluster,
        store,
        name: "never",
        includedNamespaces: ["default"],
        volumeSnapshotLocations: [{ name: "vsl", provider, config }],
      });
    await assert.rejects(attempt({}), {
      code: "ERR_CONFIG",
      message:
        /volume snapshot location "vsl" \(velero\.io\/aws\): velero\.io\/aws: missing region in aws configuration/,
    });
    await assert.rejects(attempt({ region: "us-east-1", s3Url: "http://x" }), {
      code: "ERR_CONFIG",
      message:
        /invalid keys \[s3Url\]; valid keys are \[region, profile, credentialsFile, enableSharedConfig, ebsKmsKeyId\]/,
    });
    // no credentials object: the location's own credential settings are used, and they do not work
    registerVolumeSnapshotter(
      "test.stowage.dev/aws-chain",
      awsVolumeSnapshotter({ endpoint: moto.endpoint }),
    );
    const file = join(tmpdir(), `stowage-aws-creds-${process.pid}`);
    await writeFile(file, "[other]\naws_access_key_id = a\naws_secret_access_key = b\n");
    await assert.rejects(
      attempt(
        { region: "us-east-1", credentialsFile: file, profile: "missing" },
        "test.stowage.dev/aws-chain",
      ),
      {
        code: "ERR_CONFIG",
        message:
          /the credentials or region do not work .*has no profile "missing"; profiles found: \[other\]/,
      },
    );
    await assert.rejects(
      attempt({ region: "us-east-1", profile: "stowage-no-such-profile" }, "test.stowage.dev/aws-chain"),
      {
        code: "ERR_CONFIG",
        message: /the credentials or region do not work \(DescribeVolumes in us-east-1 failed/,
      },
    );
    assert.deepEqual(await store.listCommonPrefixes("", "/"), [], "nothing was written");
  });
});
