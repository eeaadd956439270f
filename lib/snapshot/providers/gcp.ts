/**
 * `velero.io/gcp`: persistent-disk snapshots through Compute Engine, with velero-plugin-for-gcp's
 * behaviour (`volume_snapshotter.go`): disk names from `pd.csi.storage.gke.io` / `gcp.csi.confidential.cloud`
 * handles (`projects/*\/(zones|regions)/*\/disks/*`) or in-tree `gcePersistentDisk.pdName`; snapshots named
 * `<disk>-<uuid>` (at most 63 characters), Velero's tags JSON-encoded into the description (merged with
 * the disk's), the disk's labels copied; new disks `restore-<uuid>`, zonal, or regional when the zone
 * holds several zones joined by `__`. Credentials: Google's Application Default Credentials, or the
 * location's `credentialsFile` (a service-account key).
 *
 * Unlike the Go plugin, calls wait for the operation to be DONE and the snapshot or disk READY.
 */
import { randomUUID } from "node:crypto";
import { access } from "node:fs/promises";
import compute, { type protos } from "@google-cloud/compute";
import { ConfigError } from "../../errors.ts";
import type { KubeObject } from "../../kube/types.ts";
import { isRecord } from "../../util/is-record.ts";
import { uniqueName } from "../../util/unique-name.ts";
import { checkConfigKeys, messageOf, providerFailure, SnapshotError } from "../errors.ts";
import { csiOf, sourceField, volumeSource, withSourceFields } from "../pv.ts";
import type { OperationOptions, VolumeSnapshotter } from "../types.ts";
import { pollUntilDone } from "../wait.ts";

const NAME = "velero.io/gcp";
const PD_CSI_DRIVERS = new Set(["pd.csi.storage.gke.io", "gcp.csi.confidential.cloud"]);
const PD_HANDLE = /^projects\/[^/]+\/(zones|regions)\/[^/]+\/disks\/[^/]+$/;
const ZONE_SEPARATOR = "__";

/** Config keys of Velero's GCP volume snapshotter, in its order. */
export const GCP_SNAPSHOT_KEYS = [
  "snapshotLocation",
  "snapshotType",
  "project",
  "credentialsFile",
  "volumeProject",
];

type ClientOptions = NonNullable<ConstructorParameters<typeof compute.DisksClient>[0]>;
type Operation = protos.google.cloud.compute.v1.IOperation;

/** What google-gax's REST transport needs of an auth client: request headers and an authenticated fetch. */
export interface GoogleAuthLike {
  getRequestHeaders(url?: string): Promise<Headers>;
  fetch(url: string, init: RequestInit): Promise<Response>;
}

/** Options of the `gcp` snapshotter that a location's string config cannot carry. */
export interface GcpSnapshotterOptions {
  /** Compute API host, e.g. a local fake's `127.0.0.1`. @default "compute.googleapis.com" */
  readonly apiEndpoint?: string;
  /** Port of `apiEndpoint`. @default 443 */
  readonly port?: number;
  /** Scheme of `apiEndpoint`. @default "https" */
  readonly protocol?: "http" | "https";
  /**
   * An auth client instead of Application Default Credentials / `credentialsFile`.
   * @default Google's ADC, or the location's credentialsFile
   */
  readonly authClient?: ClientOptions["authClient"] | GoogleAuthLike;
  /**
   * The project of the disks when `volumeProject` is not configured.
   * @default the credentials' project
   */
  readonly project?: string;
  /** How often a pending operation, snapshot or disk is polled. @default 2000 */
  readonly pollIntervalMs?: number;
}

/** `us-central1-a__us-central1-b` → `us-central1`. */
const parseRegion = (volumeAZ: string): string => {
  const zone = volumeAZ.split(ZONE_SEPARATOR)[0] ?? "";
  const parts = zone.split("-");
  if (parts.length < 2) throw new SnapshotError(`${NAME}: failed to parse region from zone: "${volumeAZ}"`);
  return `${parts[0]}-${parts[1]}`;
};

/** Velero's tags merged over the JSON tags in the disk's description (Velero's win), as JSON; `""` for none. */
const descriptionTags = (velero: Readonly<Record<string, string>>, diskDescription: string): string => {
  let tags: Record<string, unknown> = { ...velero };
  if (diskDescription) {
    try {
      const parsed: unknown = JSON.parse(diskDescription);
      if (isRecord(parsed)) tags = { ...parsed, ...velero };
    } catch {
      // not JSON: only Velero's tags, as the Go plugin does
    }
  }
  const keys = Object.keys(tags).sort();
  return keys.length === 0 ? "" : JSON.stringify(Object.fromEntries(keys.map((k) => [k, tags[k]])));
};

const isNotFound = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return code === 404 || code === 5; // HTTP 404, or gRPC NOT_FOUND as google-gax maps it
};

/** A fresh `velero.io/gcp` snapshotter. */
export const createGcpSnapshotter = (options: GcpSnapshotterOptions = {}): VolumeSnapshotter => {
  const interval = options.pollIntervalMs ?? 2000;
  let clients:
    | {
        disks: InstanceType<typeof compute.DisksClient>;
        regionDisks: InstanceType<typeof compute.RegionDisksClient>;
        snapshots: InstanceType<typeof compute.SnapshotsClient>;
        projects: InstanceType<typeof compute.ProjectsClient>;
        zones: InstanceType<typeof compute.ZonesClient>;
        globalOps: InstanceType<typeof compute.GlobalOperationsClient>;
        zoneOps: InstanceType<typeof compute.ZoneOperationsClient>;
        regionOps: InstanceType<typeof compute.RegionOperationsClient>;
      }
    | undefined;
  let volumeProject = "";
  let snapshotProject = "";
  let snapshotType = "STANDARD";
  let snapshotLocation = "";
  const api = () => {
    if (!clients)
      throw new ConfigError(`${NAME}: init(config) must be called before the snapshotter is used`);
    return clients;
  };
  const fail = (what: string, error: unknown) => providerFailure(NAME, what, error);

  /** Waits for a compute Operation to be DONE; throws its error when it has one. */
  const waitOperation = async (
    what: string,
    operation: Operation | undefined,
    scope: { zone?: string; region?: string },
    wait: OperationOptions,
  ) => {
    const name = operation?.name ?? "";
    const op = await pollUntilDone<Operation>(
      `${what} (operation ${name})`,
      async () => {
        const [latest] = scope.zone
          ? await api().zoneOps.wait({ project: volumeProject, zone: scope.zone, operation: name })
          : scope.region
            ? await api().regionOps.wait({ project: volumeProject, region: scope.region, operation: name })
            : await api().globalOps.wait({ project: snapshotProject, operation: name });
        return latest.status === "DONE"
          ? { done: true, value: latest }
          : { done: false, state: String(latest.status), percent: latest.progress ?? undefined };
      },
      { ...wait, intervalMs: interval },
    );
    const errors = op.error?.errors ?? [];
    if (errors.length > 0) {
      throw new SnapshotError(
        `${NAME}: ${what} failed: ${errors.map((e) => `${e.code}: ${e.message}`).join("; ")}`,
      );
    }
  };

  /** Resolves to `name` once `status` reports READY; throws a SnapshotError naming `subject` on FAILED. */
  const untilReady = (
    subject: string,
    name: string,
    wait: OperationOptions,
    status: () => Promise<string | null | undefined>,
  ) =>
    pollUntilDone(
      subject,
      async () => {
        const state = await status();
        if (state === "READY") return { done: true, value: name };
        if (state === "FAILED") throw new SnapshotError(`${NAME}: ${subject} is FAILED`);
        return { done: false, state: String(state) };
      },
      { ...wait, intervalMs: interval },
    );

  const closeClients = async () => {
    const open = clients;
    clients = undefined;
    if (open) await Promise.all(Object.values(open).map((c) => c.close()));
  };

  const getDisk = async (volumeId: string, volumeAZ: string) => {
    if (volumeAZ.includes(ZONE_SEPARATOR)) {
      return (
        await api().regionDisks.get({ project: volumeProject, region: parseRegion(volumeAZ), disk: volumeId })
      )[0];
    }
    return (await api().disks.get({ project: volumeProject, zone: volumeAZ, disk: volumeId }))[0];
  };

  return {
    validKeys: GCP_SNAPSHOT_KEYS,

    async init(config) {
      checkConfigKeys(NAME, config, GCP_SNAPSHOT_KEYS);
      const type = (config.snapshotType ?? "").toUpperCase();
      if (type !== "" && type !== "STANDARD" && type !== "ARCHIVE") {
        throw new ConfigError(
          `${NAME}: unsupported snapshot type: "${config.snapshotType}": use STANDARD or ARCHIVE`,
        );
      }
      snapshotType = type || "STANDARD";
      snapshotLocation = config.snapshotLocation ?? "";
      if (config.credentialsFile) {
        try {
          await access(config.credentialsFile);
        } catch (error) {
          throw new ConfigError(
            `${NAME}: error reading provided credentials file ${config.credentialsFile}: ${messageOf(error)}`,
            { cause: error },
          );
        }
      }
      const clientOptions: ClientOptions = {
        scopes: ["https://www.googleapis.com/auth/compute"],
        ...(options.apiEndpoint ? { apiEndpoint: options.apiEndpoint } : {}),
        ...(options.port ? { port: options.port } : {}),
        ...(options.protocol ? { protocol: options.protocol } : {}),
        ...(options.authClient
          ? // google-gax uses only getRequestHeaders() and fetch() of the REST transport's auth client
            { authClient: options.authClient as NonNullable<ClientOptions["authClient"]> }
          : config.credentialsFile
            ? { keyFilename: config.credentialsFile }
            : {}),
      };
      await closeClients();
      clients = {
        disks: new compute.DisksClient(clientOptions),
        regionDisks: new compute.RegionDisksClient(clientOptions),
        snapshots: new compute.SnapshotsClient(clientOptions),
        projects: new compute.ProjectsClient(clientOptions),
        zones: new compute.ZonesClient(clientOptions),
        globalOps: new compute.GlobalOperationsClient(clientOptions),
        zoneOps: new compute.ZoneOperationsClient(clientOptions),
        regionOps: new compute.RegionOperationsClient(clientOptions),
      };
      volumeProject = config.volumeProject || options.project || "";
      if (!volumeProject) {
        try {
          volumeProject = await clients.projects.getProjectId();
        } catch (error) {
          throw new ConfigError(
            `${NAME}: cannot find the project of the credentials (${messageOf(error)}): set config.volumeProject, or GOOGLE_CLOUD_PROJECT`,
            { cause: error },
          );
        }
      }
      snapshotProject = config.project || volumeProject;
      // The call Velero makes before every snapshot (quota check) also proves the credentials work.
      try {
        await clients.projects.get({ project: volumeProject });
      } catch (error) {
        throw new ConfigError(
          `${NAME}: the credentials do not work for project "${volumeProject}" (projects.get failed: ${messageOf(error)}): check Application Default Credentials / credentialsFile and volumeProject`,
          { cause: error },
        );
      }
    },

    getVolumeId(pv) {
      const csi = csiOf(pv);
      if (csi && PD_CSI_DRIVERS.has(csi.driver)) {
        if (!PD_HANDLE.test(csi.volumeHandle)) {
          throw new SnapshotError(
            `${NAME}: invalid volumeHandle for CSI driver:${csi.driver}, expected projects/{project}/zones/{zone}/disks/{name}, got ${csi.volumeHandle}`,
          );
        }
        return csi.volumeHandle.split("/").at(-1) ?? "";
      }
      if (volumeSource(pv, "gcePersistentDisk")) {
        const name = sourceField(pv, "gcePersistentDisk", "pdName");
        if (!name)
          throw new SnapshotError(
            `${NAME}: spec.gcePersistentDisk.pdName not found in PV ${pv.metadata?.name}`,
          );
        return name;
      }
      return "";
    },

    setVolumeId(pv: KubeObject, volumeId: string) {
      const csi = csiOf(pv);
      if (csi) {
        if (!PD_CSI_DRIVERS.has(csi.driver))
          throw new SnapshotError(`${NAME}: unable to handle CSI driver: ${csi.driver}`);
        if (!PD_HANDLE.test(csi.volumeHandle)) {
          throw new SnapshotError(
            `${NAME}: invalid volumeHandle for restore with CSI driver:${csi.driver}, expected projects/{project}/zones/{zone}/disks/{name}, got ${csi.volumeHandle}`,
          );
        }
        const parts = csi.volumeHandle.split("/");
        parts[1] = volumeProject || parts[1]!; // a disk restored in another project lives in volumeProject
        parts[parts.length - 1] = volumeId;
        return withSourceFields(pv, "csi", { volumeHandle: parts.join("/") });
      }
      if (volumeSource(pv, "gcePersistentDisk"))
        return withSourceFields(pv, "gcePersistentDisk", { pdName: volumeId });
      throw new SnapshotError(
        `${NAME}: spec.csi and spec.gcePersistentDisk not found in PV ${pv.metadata?.name}`,
      );
    },

    async getVolumeInfo(volumeId, volumeAZ) {
      try {
        return { type: (await getDisk(volumeId, volumeAZ)).type ?? "" };
      } catch (error) {
        throw fail(`getting disk ${volumeId}`, error);
      }
    },

    async createSnapshot(volumeId, volumeAZ, tags, wait: OperationOptions = {}) {
      const name = uniqueName(volumeId, 63);
      await wait.onCreated?.(name);
      try {
        const [project] = await api().projects.get({ project: volumeProject });
        const quota = project.quotas?.find((q) => q.metric === "SNAPSHOTS");
        if (quota && quota.usage === quota.limit) {
          throw new SnapshotError(`${NAME}: snapshots quota on Google Cloud Platform has been reached`);
        }
        const disk = await getDisk(volumeId, volumeAZ);
        const snapshot: protos.google.cloud.compute.v1.ISnapshot = {
          name,
          description: descriptionTags(tags, disk.description ?? ""),
          sourceDisk: disk.selfLink ?? null,
          snapshotType,
          labels: disk.labels ?? {},
          ...(snapshotLocation ? { storageLocations: [snapshotLocation] } : {}),
        };
        const [operation] = await api().snapshots.insert({
          project: snapshotProject,
          snapshotResource: snapshot,
        });
        await waitOperation(
          `snapshot ${name} of ${volumeId}`,
          operation.latestResponse as Operation,
          {},
          wait,
        );
      } catch (error) {
        throw fail(`snapshot of disk ${volumeId}`, error);
      }
      return untilReady(`snapshot ${name} of ${volumeId}`, name, wait, async () => {
        const [snapshot] = await api().snapshots.get({ project: snapshotProject, snapshot: name });
        return snapshot.status;
      });
    },

    async createVolumeFromSnapshot(snapshotId, volumeType, volumeAZ, _iops, wait: OperationOptions = {}) {
      const name = `restore-${randomUUID()}`;
      const multiZone = volumeAZ.includes(ZONE_SEPARATOR);
      try {
        const [snapshot] = await api().snapshots.get({ project: snapshotProject, snapshot: snapshotId });
        const disk: protos.google.cloud.compute.v1.IDisk = {
          name,
          sourceSnapshot: snapshot.selfLink ?? null,
          type: volumeType,
          description: snapshot.description ?? null,
          labels: snapshot.labels ?? {},
        };
        if (multiZone) {
          const region = parseRegion(volumeAZ);
          disk.replicaZones = [];
          for (const zone of volumeAZ.split(ZONE_SEPARATOR)) {
            disk.replicaZones.push(
              (await api().zones.get({ project: volumeProject, zone }))[0].selfLink ?? zone,
            );
          }
          const [operation] = await api().regionDisks.insert({
            project: volumeProject,
            region,
            diskResource: disk,
          });
          await waitOperation(
            `disk ${name} from ${snapshotId}`,
            operation.latestResponse as Operation,
            { region },
            wait,
          );
        } else {
          const [operation] = await api().disks.insert({
            project: volumeProject,
            zone: volumeAZ,
            diskResource: disk,
          });
          await waitOperation(
            `disk ${name} from ${snapshotId}`,
            operation.latestResponse as Operation,
            { zone: volumeAZ },
            wait,
          );
        }
      } catch (error) {
        throw fail(`creating a disk from snapshot ${snapshotId}`, error);
      }
      return untilReady(
        `disk ${name} from ${snapshotId}`,
        name,
        wait,
        async () => (await getDisk(name, volumeAZ)).status,
      );
    },

    close: closeClients,

    async deleteSnapshot(snapshotId, wait: OperationOptions = {}) {
      try {
        const [operation] = await api().snapshots.delete({ project: snapshotProject, snapshot: snapshotId });
        await waitOperation(
          `deleting snapshot ${snapshotId}`,
          operation.latestResponse as Operation,
          {},
          wait,
        );
      } catch (error) {
        if (isNotFound(error)) return;
        throw fail(`deleting snapshot ${snapshotId}`, error);
      }
    },
  };
};
