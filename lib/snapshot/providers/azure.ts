/**
 * `velero.io/azure`: managed-disk snapshots through Azure Resource Manager, with
 * velero-plugin-for-microsoft-azure's behaviour (`volume_snapshotter.go`): disk names from
 * `disk.csi.azure.com` handles (after `/Microsoft.Compute/disks/`) or in-tree `azureDisk.diskName`;
 * snapshots `<disk>-<uuid>` (at most 80 characters) in the disk's location, tagged with the disk's tags,
 * Velero's tags (`/` → `-`) and the location's `tags`; the snapshot ID is its full ARM ID; new disks
 * `restore-<uuid>` with the recorded SKU, in the zone at the end of the recorded AZ (not for ZRS SKUs),
 * in the credentials' resource group. Long-running operations are polled to the end (`apiTimeout`).
 */
import { randomUUID } from "node:crypto";
import {
  ComputeManagementClient,
  type ComputeManagementClientOptionalParams,
  type Snapshot,
} from "@azure/arm-compute";
import type { TokenCredential } from "@azure/identity";
import { AbortError, ConfigError } from "../../errors.ts";
import type { KubeObject } from "../../kube/types.ts";
import { parseDuration } from "../../util/duration.ts";
import { parseConfigBool } from "../../util/go-bool.ts";
import { uniqueName } from "../../util/unique-name.ts";
import { checkConfigKeys, messageOf, SnapshotError } from "../errors.ts";
import { csiOf, sourceField, volumeSource, withSourceFields } from "../pv.ts";
import type { OperationOptions, VolumeSnapshotter } from "../types.ts";
import { formatWait } from "../wait.ts";
import { azureCloud, azureCredential, loadAzureCredentials } from "./azure-credentials.ts";

const NAME = "velero.io/azure";
const DISK_CSI_DRIVER = "disk.csi.azure.com";
const DISK_URI = /\/Microsoft.Compute\/disks\/.*$/;
const SNAPSHOT_URI =
  /^\/subscriptions\/(.*)\/resourceGroups\/(.*)\/providers\/Microsoft.Compute\/snapshots\/(.*)$/;
const ZRS_SKUS = new Set(["Premium_ZRS", "StandardSSD_ZRS"]);

/** Config keys of Velero's Azure volume snapshotter, in its order. */
export const AZURE_SNAPSHOT_KEYS = [
  "resourceGroup",
  "apiTimeout",
  "subscriptionId",
  "incremental",
  "tags",
  "credentialsFile",
];

/** Options of the `azure` snapshotter that a location's string config cannot carry. */
export interface AzureSnapshotterOptions {
  /** ARM endpoint. @default the cloud's (`https://management.azure.com` unless AZURE_CLOUD_NAME says otherwise) */
  readonly endpoint?: string;
  /** Credential to use. @default a service principal from the credentials, else `DefaultAzureCredential` */
  readonly credential?: TokenCredential;
  /**
   * Allow an `http:` endpoint (a local test server), sending the bearer token over plain HTTP. Never
   * for a real cloud.
   * @default false
   */
  readonly allowInsecureConnection?: boolean;
  /** How often long-running operations are polled (Velero: 5 s). @default 5000 */
  readonly pollIntervalMs?: number;
  /** Environment read for AZURE_* settings when there is no credentials file. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** `"k1=v1,k2=v2"` → map (the azuredisk CSI driver's `ConvertTagsToMap`). */
const parseTags = (text: string): Record<string, string> => {
  const tags: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const [key, value, ...rest] = pair.split("=");
    if (!key?.trim() || value === undefined || rest.length > 0) {
      throw new ConfigError(
        `${NAME}: unable to parse value "${text}" for config key "tags" (the valid format is "key1=value1,key2=value2")`,
      );
    }
    tags[key.trim()] = value.trim();
  }
  return tags;
};

const armId = (subscription: string, group: string, kind: "disks" | "snapshots", name: string) =>
  `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Compute/${kind}/${name}`;

const isNotFound = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;

/** An ARM error with its status and code (paging errors carry no message of the server's, only the code). */
const armMessage = (error: unknown): string => {
  const { statusCode, code } = error as { statusCode?: number; code?: string };
  const message = messageOf(error);
  if (!statusCode || !code) return message;
  return message.startsWith("Pagination failed")
    ? `HTTP ${statusCode} ${code}`
    : `HTTP ${statusCode} ${code}: ${message}`;
};

/** A pipeline policy that sends the bearer token also over http (the SDK refuses to). */
const insecureBearer = (credential: TokenCredential, scope: string) => ({
  name: "stowageInsecureBearerPolicy",
  async sendRequest(
    request: { headers: { set(name: string, value: string): void } },
    next: (r: typeof request) => Promise<unknown>,
  ) {
    const token = await credential.getToken(scope);
    if (token) request.headers.set("authorization", `Bearer ${token.token}`);
    return next(request);
  },
});

/** A fresh `velero.io/azure` snapshotter. */
export const createAzureSnapshotter = (options: AzureSnapshotterOptions = {}): VolumeSnapshotter => {
  const interval = options.pollIntervalMs ?? 5000;
  let disks: ComputeManagementClient | undefined;
  let snaps: ComputeManagementClient | undefined;
  let disksSubscription = "";
  let disksGroup = "";
  let snapsSubscription = "";
  let snapsGroup = "";
  let incremental: boolean | undefined;
  let configTags: Record<string, string> = {};
  let apiTimeoutMs = 2 * 60_000;
  const clients = () => {
    if (!disks || !snaps)
      throw new ConfigError(`${NAME}: init(config) must be called before the snapshotter is used`);
    return { disks, snaps };
  };
  const fail = (what: string, error: unknown) =>
    error instanceof SnapshotError || error instanceof AbortError
      ? error
      : new SnapshotError(`${NAME}: ${what} failed: ${armMessage(error)}`, { cause: error });

  /** Runs a long-running operation to its end within apiTimeout (and the caller's timeout), reporting progress. */
  const runOperation = async <T>(
    subject: string,
    start: (operation: { abortSignal: AbortSignal; updateIntervalInMs: number }) => {
      onProgress(callback: (state: { status: string }) => void): unknown;
      pollUntilDone(options: { abortSignal: AbortSignal }): Promise<T>;
    },
    wait: OperationOptions,
  ): Promise<T> => {
    const timeoutMs = Math.min(apiTimeoutMs, wait.timeoutMs ?? Number.POSITIVE_INFINITY);
    const timeout = AbortSignal.timeout(timeoutMs);
    const abortSignal = wait.signal ? AbortSignal.any([wait.signal, timeout]) : timeout;
    const started = Date.now();
    const poller = start({ abortSignal, updateIntervalInMs: interval });
    poller.onProgress((state) =>
      wait.onProgress?.({ subject, state: state.status, elapsedMs: Date.now() - started }),
    );
    try {
      return await poller.pollUntilDone({ abortSignal });
    } catch (error) {
      if (wait.signal?.aborted) throw new AbortError(`${subject} was cancelled`);
      if (timeout.aborted) {
        throw new SnapshotError(
          `${subject} did not complete within ${formatWait(timeoutMs)}: raise apiTimeout or the timeout (snapshotTimeoutMs)`,
        );
      }
      throw error;
    }
  };

  const newClient = (credential: TokenCredential, subscription: string, endpoint: string, scope: string) => {
    const params: ComputeManagementClientOptionalParams = { endpoint };
    if (options.allowInsecureConnection) params.allowInsecureConnection = true;
    const client = new ComputeManagementClient(credential, subscription, params);
    if (options.allowInsecureConnection) {
      client.pipeline.removePolicy({ name: "bearerTokenAuthenticationPolicy" });
      client.pipeline.addPolicy(insecureBearer(credential, scope) as never, { phase: "Sign" });
    }
    return client;
  };

  return {
    validKeys: AZURE_SNAPSHOT_KEYS,

    async init(config) {
      checkConfigKeys(NAME, config, AZURE_SNAPSHOT_KEYS);
      const env = options.env ?? process.env;
      const creds = await loadAzureCredentials(NAME, config.credentialsFile, env);
      disksSubscription = creds.AZURE_SUBSCRIPTION_ID ?? "";
      disksGroup = creds.AZURE_RESOURCE_GROUP ?? "";
      for (const [key, value] of [
        ["AZURE_SUBSCRIPTION_ID", disksSubscription],
        ["AZURE_RESOURCE_GROUP", disksGroup],
      ]) {
        if (!value) {
          throw new ConfigError(
            `${NAME}: ${key} is required in the credentials file (credentialsFile / AZURE_CREDENTIALS_FILE) or, without a file, in the environment`,
          );
        }
      }
      snapsSubscription = config.subscriptionId || disksSubscription;
      snapsGroup = config.resourceGroup || disksGroup;
      apiTimeoutMs = 2 * 60_000;
      if (config.apiTimeout) {
        try {
          apiTimeoutMs = parseDuration(config.apiTimeout, "apiTimeout");
        } catch (error) {
          throw new ConfigError(
            `${NAME}: unable to parse value "${config.apiTimeout}" for config key "apiTimeout" (expected a duration string): ${messageOf(error)}`,
          );
        }
      }
      incremental = parseConfigBool(NAME, "incremental", config.incremental);
      configTags = config.tags ? parseTags(config.tags) : {};
      const cloud = azureCloud(NAME, creds.AZURE_CLOUD_NAME);
      const credential = options.credential ?? azureCredential(NAME, creds, cloud.authority);
      const endpoint = options.endpoint ?? cloud.arm;
      const scope = `${cloud.arm}/.default`;
      disks = newClient(credential, disksSubscription, endpoint, scope);
      snaps =
        snapsSubscription === disksSubscription
          ? disks
          : newClient(credential, snapsSubscription, endpoint, scope);
      // One page of the disk resource group's disks: proves the credential, subscription and group work
      // (Velero needs to read those disks anyway) before any backup or restore starts.
      try {
        await disks.disks.listByResourceGroup(disksGroup).byPage().next();
      } catch (error) {
        throw new ConfigError(
          `${NAME}: the credentials do not work for resource group "${disksGroup}" in subscription "${disksSubscription}" (listing its disks failed: ${armMessage(error)}): check the credentials file or DefaultAzureCredential's environment`,
          { cause: error },
        );
      }
    },

    getVolumeId(pv) {
      const csi = csiOf(pv);
      if (csi?.driver === DISK_CSI_DRIVER)
        return (DISK_URI.exec(csi.volumeHandle)?.[0] ?? "").replace("/Microsoft.Compute/disks/", "");
      if (!volumeSource(pv, "azureDisk")) return "";
      const name = sourceField(pv, "azureDisk", "diskName");
      if (!name)
        throw new SnapshotError(`${NAME}: spec.azureDisk.diskName not found in PV ${pv.metadata?.name}`);
      return name;
    },

    setVolumeId(pv: KubeObject, volumeId: string) {
      const id = armId(disksSubscription, disksGroup, "disks", volumeId);
      const csi = csiOf(pv);
      if (csi) {
        if (csi.driver !== DISK_CSI_DRIVER)
          throw new SnapshotError(`${NAME}: unable to handle CSI driver: ${csi.driver}`);
        return withSourceFields(pv, "csi", { volumeHandle: id });
      }
      if (volumeSource(pv, "azureDisk"))
        return withSourceFields(pv, "azureDisk", { diskName: volumeId, diskURI: id });
      throw new SnapshotError(`${NAME}: spec.csi and spec.azureDisk not found in PV ${pv.metadata?.name}`);
    },

    async getVolumeInfo(volumeId) {
      try {
        const disk = await clients().disks.disks.get(disksGroup, volumeId);
        if (!disk.sku?.name) throw new SnapshotError(`${NAME}: disk ${volumeId} has a nil SKU`);
        return { type: disk.sku.name };
      } catch (error) {
        throw fail(`getting disk ${volumeId}`, error);
      }
    },

    async createSnapshot(volumeId, _volumeAZ, tags, wait: OperationOptions = {}) {
      const name = uniqueName(volumeId, 80);
      await wait.onCreated?.(armId(snapsSubscription, snapsGroup, "snapshots", name));
      try {
        const disk = await clients().disks.disks.get(disksGroup, volumeId);
        const snapshotTags: Record<string, string> = { ...disk.tags };
        for (const [key, value] of Object.entries(tags)) snapshotTags[key.replaceAll("/", "-")] = value;
        Object.assign(snapshotTags, configTags);
        const snapshot: Snapshot = {
          location: disk.location,
          ...(disk.tags || Object.keys(snapshotTags).length > 0 ? { tags: snapshotTags } : {}),
          creationData: {
            createOption: "Copy",
            sourceResourceId: armId(disksSubscription, disksGroup, "disks", volumeId),
          },
          ...(incremental === undefined ? {} : { incremental }),
        };
        await runOperation(
          `snapshot ${name} of ${volumeId}`,
          (op) => clients().snaps.snapshots.createOrUpdate(snapsGroup, name, snapshot, op),
          wait,
        );
      } catch (error) {
        throw fail(`snapshot of disk ${volumeId}`, error);
      }
      return armId(snapsSubscription, snapsGroup, "snapshots", name);
    },

    async createVolumeFromSnapshot(snapshotId, volumeType, volumeAZ, _iops, wait: OperationOptions = {}) {
      const match = SNAPSHOT_URI.exec(snapshotId);
      if (!match) throw new SnapshotError(`${NAME}: snapshot URI could not be parsed: ${snapshotId}`);
      const name = `restore-${randomUUID()}`;
      try {
        const snapshot = await clients().snaps.snapshots.get(match[2]!, match[3]!);
        const zone = volumeAZ.split("-");
        await runOperation(
          `disk ${name} from ${snapshotId}`,
          (op) =>
            clients().disks.disks.createOrUpdate(
              disksGroup,
              name,
              {
                location: snapshot.location,
                creationData: {
                  createOption: "Copy",
                  sourceResourceId: armId(match[1]!, match[2]!, "snapshots", match[3]!),
                },
                sku: { name: volumeType },
                ...(snapshot.tags ? { tags: snapshot.tags } : {}),
                ...(!ZRS_SKUS.has(volumeType) && zone.length >= 2 ? { zones: [zone.at(-1)!] } : {}),
              },
              op,
            ),
          wait,
        );
      } catch (error) {
        throw fail(`creating a disk from snapshot ${snapshotId}`, error);
      }
      return name;
    },

    async deleteSnapshot(snapshotId, wait: OperationOptions = {}) {
      const match = SNAPSHOT_URI.exec(snapshotId);
      if (!match) throw new SnapshotError(`${NAME}: snapshot URI could not be parsed: ${snapshotId}`);
      try {
        await clients().snaps.snapshots.get(match[2]!, match[3]!);
      } catch (error) {
        if (isNotFound(error)) return; // Velero looks first: a missing snapshot is success
        throw fail(`looking up snapshot ${snapshotId}`, error);
      }
      try {
        await runOperation(
          `deleting snapshot ${snapshotId}`,
          (op) => clients().snaps.snapshots.delete(match[2]!, match[3]!, op),
          wait,
        );
      } catch (error) {
        if (isNotFound(error)) return;
        throw fail(`deleting snapshot ${snapshotId}`, error);
      }
    },
  };
};
