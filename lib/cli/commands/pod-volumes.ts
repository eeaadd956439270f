/**
 * The CLI's side of pod volume backups with restic: the flags that turn them on for `backup create` and
 * `restore create`, the namespace of the repository key Secrets, and the restic backend of the CLI's
 * store (shared with `backup delete` and the `restic repo` verbs).
 */
import type { Cluster } from "../../kube/client.ts";
import { type ResticBackend, resticBackend } from "../../podvolume/backend.ts";
import type { PodVolumeOptions } from "../../podvolume/options.ts";
import { UsageError } from "../errors.ts";
import type { Flags } from "../flags.ts";
import { openStoreTarget, type StoreTarget } from "../stores.ts";
import type { FlagSpec } from "../types.ts";

/** `--credentials-namespace NAMESPACE`: where the repository key Secrets are (default velero). */
export const CREDENTIALS_FLAG: FlagSpec = {
  name: "credentials-namespace",
  type: "string",
  placeholder: "NAMESPACE",
  description: "namespace of the repository key Secrets (default velero)",
};

/** `{ credentialsNamespace }` when {@link CREDENTIALS_FLAG} is given (non-empty), else `{}`. */
export const credentialsOption = (flags: Flags): { credentialsNamespace?: string } => {
  const credentialsNamespace = flags.string("credentials-namespace");
  return credentialsNamespace ? { credentialsNamespace } : {};
};

/**
 * The restic backend of the CLI's store: the store the target opens (no I/O) tells restic where it is;
 * S3 credentials come from the AWS chain, as for the store itself.
 */
export const backendOf = (target: StoreTarget): Promise<ResticBackend> =>
  resticBackend({ store: openStoreTarget(target) });

/** Flags of `backup create` / `restore create` that turn on restic for pod volumes. */
export const FS_BACKUP_FLAGS: readonly FlagSpec[] = [
  {
    name: "fs-backup-driver",
    type: "string",
    placeholder: "job|local",
    description:
      "run restic for pod volumes in Jobs on the pods' nodes, or as a local process (default: none)",
  },
  {
    name: "fs-backup-image",
    type: "string",
    placeholder: "IMAGE",
    description: "image of the restic Jobs (default $STOWAGE_IMAGE, else stowage/stowage:0.1.0)",
  },
  CREDENTIALS_FLAG,
];

/** The `podVolumes` option the {@link FS_BACKUP_FLAGS} ask for; undefined without --fs-backup-driver. */
export const podVolumesFromFlags = async (
  flags: Flags,
  target: StoreTarget,
  cluster: Cluster,
  command: readonly string[],
): Promise<PodVolumeOptions | undefined> => {
  const kind = flags.string("fs-backup-driver");
  if (kind === undefined || kind === "") return undefined;
  if (kind !== "job" && kind !== "local") {
    throw new UsageError(`invalid value "${kind}" for --fs-backup-driver: expected job or local`, command);
  }
  const credentials = credentialsOption(flags);
  const image = flags.string("fs-backup-image");
  const { jobDriver } = await import("../../podvolume/job-driver.ts");
  const { localDriver } = await import("../../podvolume/local-driver.ts");
  const driver =
    kind === "job"
      ? jobDriver({
          cluster,
          ...(credentials.credentialsNamespace ? { namespace: credentials.credentialsNamespace } : {}),
          ...(image ? { image } : {}),
        })
      : localDriver();
  return { driver, backend: await backendOf(target), ...credentials };
};
