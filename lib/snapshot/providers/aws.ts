/**
 * `velero.io/aws`: EBS snapshots through EC2, with velero-plugin-for-aws's behaviour (`volume_snapshotter.go`):
 * volume IDs from `ebs.csi.aws.com` handles or in-tree `awsElasticBlockStore.volumeID` (the `vol-…` part),
 * snapshots tagged with Velero's tags plus the volume's (Velero's win), new volumes in the recorded zone
 * with the recorded type, the snapshot's encryption and tags (IOPS for io1/io2 only).
 *
 * Unlike the Go plugin, calls wait for the snapshot to be `completed` and the volume `available`.
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  type EC2ClientConfig,
  type Snapshot,
  type Tag,
  type Volume,
  type VolumeType,
} from "@aws-sdk/client-ec2";
import { ConfigError } from "../../errors.ts";
import type { KubeObject } from "../../kube/types.ts";
import { credentialsFromFile } from "../../store/aws-credentials.ts";
import { parseConfigBool } from "../../util/go-bool.ts";
import { checkConfigKeys, messageOf, providerFailure, SnapshotError } from "../errors.ts";
import { csiOf, sourceField, volumeSource, withSourceFields } from "../pv.ts";
import type { OperationOptions, VolumeInfo, VolumeSnapshotter } from "../types.ts";
import { parsePercent, pollUntilDone } from "../wait.ts";

const NAME = "velero.io/aws";
const EBS_CSI_DRIVER = "ebs.csi.aws.com";
const IOPS_TYPES = new Set(["io1", "io2"]);
const VOLUME_ID = /vol-.*/;

/** Config keys of Velero's AWS volume snapshotter, in its order. */
export const AWS_SNAPSHOT_KEYS = [
  "region",
  "profile",
  "credentialsFile",
  "enableSharedConfig",
  "ebsKmsKeyId",
];

/** Options of the `aws` snapshotter that a location's string config cannot carry. */
export interface AwsSnapshotterOptions {
  /**
   * EC2 endpoint, e.g. moto's or LocalStack's.
   * @default the SDK's (which honours AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL)
   */
  readonly endpoint?: string;
  /**
   * Credentials to use instead of `credentialsFile` / `profile` / the SDK chain.
   * @default the location's `credentialsFile` or `profile`, else the SDK's default chain
   */
  readonly credentials?: EC2ClientConfig["credentials"];
  /** How often a pending snapshot or volume is polled. @default 5000 */
  readonly pollIntervalMs?: number;
  /** Environment read for `AWS_CLUSTER_NAME` (ownership tags of restored volumes). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

const tag = (Key: string, Value: string): Tag => ({ Key, Value });

/** Velero's tags, then the volume's tags it does not override. */
const snapshotTags = (velero: Readonly<Record<string, string>>, volume: readonly Tag[]): Tag[] => [
  ...Object.keys(velero)
    .sort()
    .map((k) => tag(k, velero[k] ?? "")),
  ...volume.filter((t) => t.Key !== undefined && !(t.Key in velero)),
];

/** The snapshot's tags for the new volume; with AWS_CLUSTER_NAME, this cluster's ownership tags replace old ones. */
const volumeTags = (snapshot: readonly Tag[], cluster: string | undefined): Tag[] => {
  const owned = (t: Tag) => t.Key?.startsWith("kubernetes.io/cluster/") || t.Key === "KubernetesCluster";
  if (cluster === undefined) return [...snapshot];
  return [
    tag(`kubernetes.io/cluster/${cluster}`, "owned"),
    tag("KubernetesCluster", cluster),
    ...snapshot.filter((t) => !owned(t)),
  ];
};

/** A fresh `velero.io/aws` snapshotter. */
export const createAwsSnapshotter = (options: AwsSnapshotterOptions = {}): VolumeSnapshotter => {
  let ec2: EC2Client | undefined;
  let kmsKeyId = "";
  const interval = options.pollIntervalMs ?? 5000;
  const client = () => {
    if (!ec2) throw new ConfigError(`${NAME}: init(config) must be called before the snapshotter is used`);
    return ec2;
  };
  const fail = (what: string, error: unknown) => providerFailure(NAME, what, error);

  const describeVolume = async (volumeId: string): Promise<Volume> => {
    const out = await client().send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }));
    const volumes = out.Volumes ?? [];
    if (volumes.length !== 1) {
      throw new SnapshotError(
        `${NAME}: expected one volume from DescribeVolumes for ${volumeId}, got ${volumes.length}`,
      );
    }
    return volumes[0]!;
  };
  const describeSnapshot = async (snapshotId: string): Promise<Snapshot> => {
    const out = await client().send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }));
    const snapshots = out.Snapshots ?? [];
    if (snapshots.length !== 1) {
      throw new SnapshotError(
        `${NAME}: expected 1 snapshot from DescribeSnapshots for ${snapshotId}, got ${snapshots.length}`,
      );
    }
    return snapshots[0]!;
  };

  /** Resolves to `snapshotId` once the snapshot (of `volumeId`) completed; throws if it ends in error. */
  const snapshotCompleted = (snapshotId: string, volumeId: string, wait: OperationOptions) =>
    pollUntilDone(
      `snapshot ${snapshotId} of ${volumeId}`,
      async () => {
        const snapshot = await describeSnapshot(snapshotId);
        if (snapshot.State === "completed") return { done: true, value: snapshotId };
        if (snapshot.State === "error" || snapshot.State === "recoverable") {
          throw new SnapshotError(
            `${NAME}: snapshot ${snapshotId} of ${volumeId} failed: ${snapshot.StateMessage ?? snapshot.State}`,
          );
        }
        return {
          done: false,
          state: `${snapshot.State} ${snapshot.Progress ?? ""}`.trim(),
          percent: parsePercent(snapshot.Progress),
        };
      },
      { ...wait, intervalMs: interval },
    );

  /** Resolves to `volumeId` once the volume (from `snapshotId`) is usable; throws if it ends in error. */
  const volumeAvailable = (volumeId: string, snapshotId: string, wait: OperationOptions) =>
    pollUntilDone(
      `volume ${volumeId} from ${snapshotId}`,
      async () => {
        const volume = await describeVolume(volumeId);
        if (volume.State === "available" || volume.State === "in-use") return { done: true, value: volumeId };
        if (volume.State === "error")
          throw new SnapshotError(`${NAME}: volume ${volumeId} from ${snapshotId} is in state error`);
        return { done: false, state: volume.State ?? "unknown" };
      },
      { ...wait, intervalMs: interval },
    );

  return {
    validKeys: AWS_SNAPSHOT_KEYS,

    async init(config) {
      checkConfigKeys(NAME, config, AWS_SNAPSHOT_KEYS);
      const region = config.region;
      if (!region) {
        throw new ConfigError(
          `${NAME}: missing region in aws configuration: set config.region, e.g. "us-east-1"`,
        );
      }
      parseConfigBool(NAME, "enableSharedConfig", config.enableSharedConfig); // shared config is always read
      kmsKeyId = config.ebsKmsKeyId ?? "";
      const clientConfig: EC2ClientConfig = { region };
      if (options.endpoint) clientConfig.endpoint = options.endpoint;
      if (options.credentials) clientConfig.credentials = options.credentials;
      else if (config.credentialsFile)
        clientConfig.credentials = credentialsFromFile(config.credentialsFile, config.profile);
      else if (config.profile) clientConfig.profile = config.profile;
      ec2?.destroy();
      ec2 = new EC2Client(clientConfig);
      // One cheap call Velero's IAM policy allows (ec2:DescribeVolumes), so wrong credentials or region
      // are reported now, before any backup or restore starts, rather than on the first volume.
      try {
        await ec2.send(new DescribeVolumesCommand({ MaxResults: 5 }));
      } catch (error) {
        throw new ConfigError(
          `${NAME}: the credentials or region do not work (DescribeVolumes in ${region} failed: ${messageOf(error)}): check credentialsFile / profile / the AWS_* environment and the region`,
          { cause: error },
        );
      }
    },

    getVolumeId(pv) {
      const csi = csiOf(pv);
      if (csi?.driver === EBS_CSI_DRIVER) return VOLUME_ID.exec(csi.volumeHandle)?.[0] ?? "";
      if (volumeSource(pv, "awsElasticBlockStore")) {
        const id = sourceField(pv, "awsElasticBlockStore", "volumeID");
        if (!id)
          throw new SnapshotError(
            `${NAME}: spec.awsElasticBlockStore.volumeID not found in PV ${pv.metadata?.name}`,
          );
        return VOLUME_ID.exec(id)?.[0] ?? "";
      }
      return "";
    },

    setVolumeId(pv: KubeObject, volumeId: string) {
      const csi = csiOf(pv);
      if (csi) {
        if (csi.driver !== EBS_CSI_DRIVER)
          throw new SnapshotError(`${NAME}: unable to handle CSI driver: ${csi.driver}`);
        return withSourceFields(pv, "csi", { volumeHandle: volumeId });
      }
      if (volumeSource(pv, "awsElasticBlockStore")) {
        const zone = pv.metadata?.labels?.["failure-domain.beta.kubernetes.io/zone"];
        return withSourceFields(pv, "awsElasticBlockStore", {
          volumeID: zone ? `aws://${zone}/${volumeId}` : volumeId,
        });
      }
      throw new SnapshotError(
        `${NAME}: spec.csi and spec.awsElasticBlockStore not found in PV ${pv.metadata?.name}`,
      );
    },

    async getVolumeInfo(volumeId): Promise<VolumeInfo> {
      try {
        const volume = await describeVolume(volumeId);
        const type = volume.VolumeType ?? "";
        return { type, iops: IOPS_TYPES.has(type) && volume.Iops !== undefined ? volume.Iops : 0 };
      } catch (error) {
        throw fail(`describing volume ${volumeId}`, error);
      }
    },

    async createSnapshot(volumeId, _volumeAZ, tags, wait: OperationOptions = {}) {
      let snapshotId: string;
      try {
        const volume = await describeVolume(volumeId);
        const out = await client().send(
          new CreateSnapshotCommand({
            VolumeId: volumeId,
            TagSpecifications: [{ ResourceType: "snapshot", Tags: snapshotTags(tags, volume.Tags ?? []) }],
          }),
        );
        snapshotId = out.SnapshotId ?? "";
      } catch (error) {
        throw fail(`creating a snapshot of ${volumeId}`, error);
      }
      await wait.onCreated?.(snapshotId);
      return snapshotCompleted(snapshotId, volumeId, wait);
    },

    async createVolumeFromSnapshot(snapshotId, volumeType, volumeAZ, iops, wait: OperationOptions = {}) {
      let volumeId: string;
      try {
        const snapshot = await describeSnapshot(snapshotId);
        const out = await client().send(
          new CreateVolumeCommand({
            SnapshotId: snapshotId,
            AvailabilityZone: volumeAZ,
            VolumeType: volumeType as VolumeType,
            ...(kmsKeyId ? { Encrypted: true, KmsKeyId: kmsKeyId } : { Encrypted: snapshot.Encrypted }),
            ...(IOPS_TYPES.has(volumeType) && iops !== undefined ? { Iops: iops } : {}),
            TagSpecifications: [
              {
                ResourceType: "volume",
                Tags: volumeTags(snapshot.Tags ?? [], (options.env ?? process.env).AWS_CLUSTER_NAME),
              },
            ],
          }),
        );
        volumeId = out.VolumeId ?? "";
      } catch (error) {
        throw fail(`creating a volume from ${snapshotId}`, error);
      }
      return volumeAvailable(volumeId, snapshotId, wait);
    },

    async close() {
      ec2?.destroy();
      ec2 = undefined;
    },

    async findSnapshots(volumeId, tags) {
      try {
        const out = await client().send(
          new DescribeSnapshotsCommand({
            OwnerIds: ["self"],
            Filters: [
              { Name: "volume-id", Values: [volumeId] },
              ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
            ],
          }),
        );
        return (out.Snapshots ?? []).map((s) => ({ id: s.SnapshotId ?? "", started: s.StartTime }));
      } catch (error) {
        throw fail(`finding the snapshots of ${volumeId}`, error);
      }
    },

    async deleteSnapshot(snapshotId) {
      try {
        await client().send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
      } catch (error) {
        if ((error as { name?: string }).name === "InvalidSnapshot.NotFound") return;
        throw fail(`deleting snapshot ${snapshotId}`, error);
      }
    },
  };
};
