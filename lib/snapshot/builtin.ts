/**
 * Factories of the built-in cloud snapshotters. Each loads its SDK (`@aws-sdk/client-ec2`,
 * `@google-cloud/compute`, `@azure/arm-compute`) on first use, so importing Stowage stays fast for
 * scripts that never snapshot. Pass options to point a provider at another endpoint or give it
 * credentials objects, and register the result:
 *
 * @example
 * registerVolumeSnapshotter("aws", awsVolumeSnapshotter({ endpoint: "http://localhost:5000" }), { replace: true });
 */
import type { AwsSnapshotterOptions } from "./providers/aws.ts";
import type { AzureSnapshotterOptions } from "./providers/azure.ts";
import type { GcpSnapshotterOptions } from "./providers/gcp.ts";
import type { VolumeSnapshotterFactory } from "./types.ts";

/** `velero.io/aws` (EBS through EC2) with these options. */
export const awsVolumeSnapshotter =
  (options: AwsSnapshotterOptions = {}): VolumeSnapshotterFactory =>
  async () =>
    (await import("./providers/aws.ts")).createAwsSnapshotter(options);

/** `velero.io/gcp` (persistent disks through Compute Engine) with these options. */
export const gcpVolumeSnapshotter =
  (options: GcpSnapshotterOptions = {}): VolumeSnapshotterFactory =>
  async () =>
    (await import("./providers/gcp.ts")).createGcpSnapshotter(options);

/** `velero.io/azure` (managed disks through ARM) with these options. */
export const azureVolumeSnapshotter =
  (options: AzureSnapshotterOptions = {}): VolumeSnapshotterFactory =>
  async () =>
    (await import("./providers/azure.ts")).createAzureSnapshotter(options);
