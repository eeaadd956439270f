/**
 * What the orphan tests share: a namespace holding a ConfigMap, a PV/PVC on a moto EBS volume (native
 * snapshots), and a Running pod on the harness node whose emptyDir goes to restic (local driver, real
 * restic against MinIO); and the probes that say what a backup run left behind — keys in the store, EBS
 * snapshots in moto, restic snapshots in the repository.
 */
import assert from "node:assert/strict";
import { CreateVolumeCommand, DescribeSnapshotsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  awsVolumeSnapshotter,
  type Cluster,
  type ObjectStore,
  type PodVolumeDeleteOptions,
  registerVolumeSnapshotter,
  type S3StoreOptions,
  type VolumeSnapshotLocation,
} from "../../lib/index.ts";
import { type ResticBackend, repositoryAddress } from "../../lib/podvolume/backend.ts";
import { snapshotsCommand } from "../../lib/podvolume/commands.ts";
import { findRepositoryKey } from "../../lib/podvolume/keys.ts";
import { type LocalDriver, localDriver } from "../../lib/podvolume/local-driver.ts";
import { listAll } from "../../lib/store/index.ts";
import { harnessNode, resticPath, tempS3Location } from "../podvolume/support.ts";
import { makeTree } from "../podvolume/tree.ts";
import { makeClaimedPv } from "../snapshot/roundtrip.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { createRunningPod, type NodePlayer, podOnNode } from "../support/node-player.ts";

const ZONE = "us-east-1a";

/** Everything a backup with native and restic snapshots needs, and the probes of what it left. */
export interface OrphanFixture {
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly credentialsNamespace: string;
  readonly node: NodePlayer;
  readonly store: ObjectStore;
  readonly s3: S3StoreOptions;
  readonly backend: ResticBackend;
  readonly driver: LocalDriver;
  readonly location: VolumeSnapshotLocation;
  readonly moto: {
    readonly endpoint: string;
    readonly credentials: { accessKeyId: string; secretAccessKey: string };
  };
  readonly volumeId: string;
  /** What `deleteBackup`/`collectGarbage` need to forget restic snapshots. */
  readonly podVolumes: PodVolumeDeleteOptions;
  /** Keys under `backups/<name>/`. */
  keysOf(name: string): Promise<string[]>;
  /** IDs of the EBS snapshots in moto tagged `velero.io/backup=<name>`. */
  ebsSnapshotsOf(name: string): Promise<string[]>;
  /** IDs of the restic snapshots in the namespace's repository tagged `backup=<name>`. */
  resticSnapshotsOf(name: string): Promise<string[]>;
}

export const orphanFixture = async (prefix: string): Promise<OrphanFixture> => {
  const env = await testEnv();
  const cluster = await connectTest();
  const namespace = await makeNamespace(cluster, prefix);
  const credentialsNamespace = await makeNamespace(cluster, `${prefix}-sys`);
  const node = await harnessNode(cluster);
  const { store, backend, options: s3 } = await tempS3Location();
  const driver = localDriver({ resticPath: resticPath(), kubeletRootDir: node.kubeletDir, cacheDir: false });
  const moto = { endpoint: env.moto.endpoint, credentials: env.moto.credentials };
  registerVolumeSnapshotter(
    "aws",
    awsVolumeSnapshotter({ endpoint: moto.endpoint, credentials: moto.credentials, pollIntervalMs: 50 }),
    { replace: true },
  );
  const location: VolumeSnapshotLocation = {
    name: "default",
    provider: "aws",
    config: { region: env.moto.region },
  };
  const ec2 = new EC2Client({
    region: env.moto.region,
    endpoint: moto.endpoint,
    credentials: moto.credentials,
  });
  onCleanup(() => ec2.destroy());
  const created = await ec2.send(
    new CreateVolumeCommand({ AvailabilityZone: ZONE, Size: 1, VolumeType: "gp3" }),
  );
  const volumeId = created.VolumeId ?? "";
  await makeClaimedPv(cluster, namespace, `${namespace}-pv`, {
    volumeId,
    labels: { "topology.kubernetes.io/zone": ZONE },
    spec: { awsElasticBlockStore: { volumeID: `aws://${ZONE}/${volumeId}`, fsType: "ext4" } },
  });
  await cluster.create("configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "cfg", namespace },
    data: { hello: "world" },
  });
  const pod = await createRunningPod(
    cluster,
    podOnNode({
      namespace,
      name: "web",
      node: node.name,
      annotations: { "backup.velero.io/backup-volumes": "data" },
    }),
  );
  await makeTree(node.emptyDir(pod.metadata?.uid ?? "", "data"), { bigFileBytes: 64 * 1024, smallFiles: 20 });

  const resticSnapshotsOf = async (name: string): Promise<string[]> => {
    const key = await findRepositoryKey(cluster, namespace, { credentialsNamespace });
    if (!key) return [];
    const repository = { address: repositoryAddress(backend, namespace), key };
    const listed = await driver.run(
      snapshotsCommand(repository.address, { tags: { backup: name } }),
      repository,
      {
        collectStdout: true,
      },
    );
    if (listed.exitCode === 10) return []; // no repository yet
    assert.equal(listed.exitCode, 0, listed.stderr);
    return (JSON.parse(listed.stdout) as Array<{ id: string }>).map((s) => s.id).sort();
  };

  return {
    cluster,
    namespace,
    credentialsNamespace,
    node,
    store,
    s3,
    backend,
    driver,
    location,
    moto,
    volumeId,
    podVolumes: { cluster, backend, credentialsNamespace, driver },
    keysOf: (name) => listAll(store, `backups/${name}/`),
    async ebsSnapshotsOf(name) {
      const out = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"] }));
      return (out.Snapshots ?? [])
        .filter((s) => (s.Tags ?? []).some((t) => t.Key === "velero.io/backup" && t.Value === name))
        .map((s) => s.SnapshotId ?? "")
        .sort();
    },
    resticSnapshotsOf,
  };
};
