/**
 * A small Azure Resource Manager (Microsoft.Compute disks and snapshots) for the real
 * `@azure/arm-compute` client: the REST paths of test-infra.md §6.2, long-running PUT and DELETE through
 * `Azure-AsyncOperation` status URLs that stay InProgress for a few polls, then a final GET; Azure's
 * error bodies; bearer-token and api-version checks. Every body is validated (fields, SKUs, zones, tag
 * keys, names, the source of a copy); anything else is answered 400 and recorded.
 */
import { randomUUID } from "node:crypto";
import {
  BadRequest,
  type FakeRequest,
  type FakeResponse,
  object,
  onlyKeys,
  startFakeServer,
  str,
  stringMap,
} from "./fake-http.ts";

const SKUS = [
  "Standard_LRS",
  "Premium_LRS",
  "StandardSSD_LRS",
  "UltraSSD_LRS",
  "Premium_ZRS",
  "StandardSSD_ZRS",
  "PremiumV2_LRS",
];
const SNAPSHOT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,78}[a-zA-Z0-9_]$/;
const BAD_TAG_KEY = /[<>%&\\?/]/;

export interface AzureResource {
  id: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
  sku?: { name: string };
  zones?: string[];
  properties: Record<string, unknown>;
}

/** Knobs a test turns to make the fake misbehave. */
export interface AzureBehaviour {
  /** Status polls answered InProgress before the operation ends. */
  operationPolls: number;
  /** Snapshot creations end Failed. */
  failSnapshots: boolean;
}

export interface FakeAzure {
  readonly url: string;
  readonly subscription: string;
  readonly token: string;
  /** By lower-cased ARM ID. */
  readonly resources: Map<string, AzureResource>;
  readonly behaviour: AzureBehaviour;
  readonly rejected: string[];
  readonly requests: FakeRequest[];
  armId(group: string, kind: "disks" | "snapshots", name: string): string;
  addDisk(
    group: string,
    name: string,
    fields: { sku: string; location: string; zones?: string[]; tags?: Record<string, string> },
  ): AzureResource;
  get(id: string): AzureResource | undefined;
}

const azureError = (_status: number, code: string, message: string) => ({ error: { code, message } });

interface Operation {
  pollsLeft: number;
  fail: boolean;
  done(): void;
}

export const startFakeAzure = async (
  subscription = "00000000-0000-0000-0000-00000000a2e0",
  token = "azure-token",
): Promise<FakeAzure> => {
  const resources = new Map<string, AzureResource>();
  const operations = new Map<string, Operation>();
  const behaviour: AzureBehaviour = { operationPolls: 2, failSnapshots: false };
  let base = "";
  const armId = (group: string, kind: "disks" | "snapshots", name: string) =>
    `/subscriptions/${subscription}/resourceGroups/${group}/providers/Microsoft.Compute/${kind}/${name}`;
  const get = (id: string) => resources.get(id.toLowerCase());

  const addDisk: FakeAzure["addDisk"] = (group, name, fields) => {
    const disk: AzureResource = {
      id: armId(group, "disks", name),
      name,
      location: fields.location,
      ...(fields.tags ? { tags: fields.tags } : {}),
      sku: { name: fields.sku },
      ...(fields.zones ? { zones: fields.zones } : {}),
      properties: {
        provisioningState: "Succeeded",
        diskSizeGB: 10,
        diskState: "Unattached",
        creationData: { createOption: "Empty" },
      },
    };
    resources.set(disk.id.toLowerCase(), disk);
    return disk;
  };

  /** Answers a long-running request: 201/202 with an Azure-AsyncOperation status URL. */
  const startOperation = (
    status: number,
    location: string,
    body: unknown,
    done: () => void,
    fail = false,
  ): FakeResponse => {
    const id = randomUUID();
    operations.set(id, { pollsLeft: behaviour.operationPolls, fail, done });
    if (behaviour.operationPolls <= 0) done();
    const statusUrl = `${base}/subscriptions/${subscription}/providers/Microsoft.Compute/locations/${location}/operations/${id}?api-version=2025-04-01`;
    return { status, body, headers: { "azure-asyncoperation": statusUrl, "retry-after": "0" } };
  };

  const validTags = (value: unknown, what: string) => {
    const tags = stringMap(value, what);
    for (const key of Object.keys(tags)) {
      if (BAD_TAG_KEY.test(key))
        throw new BadRequest(
          `${what}: tag name "${key}" has characters Azure does not allow (<, >, %, &, \\, ?, /)`,
          400,
          "InvalidTagNameCharacters",
        );
    }
    return tags;
  };

  const copySource = (body: Record<string, unknown>, what: string, kind: "disks" | "snapshots") => {
    const properties = object(body.properties, `${what}.properties`);
    const creation = object(properties.creationData, `${what}.properties.creationData`);
    onlyKeys(creation, ["createOption", "sourceResourceId"], `${what}.properties.creationData`);
    if (creation.createOption !== "Copy") throw new BadRequest(`${what}: createOption must be Copy`);
    const source = get(str(creation.sourceResourceId, `${what}.properties.creationData.sourceResourceId`));
    if (!source?.id.includes(`/Microsoft.Compute/${kind}/`)) {
      throw new BadRequest(
        `${what}: sourceResourceId ${String(creation.sourceResourceId)} is not an existing ${kind.slice(0, -1)}`,
        404,
        "NotFound",
      );
    }
    if (source.properties.provisioningState !== "Succeeded")
      throw new BadRequest(
        `${what}: the source is still ${String(source.properties.provisioningState)}`,
        409,
        "Conflict",
      );
    if (body.location !== source.location)
      throw new BadRequest(
        `${what}: location ${String(body.location)} differs from the source's ${source.location}`,
      );
    return { properties, source };
  };

  const putSnapshot = (group: string, name: string, body: unknown): FakeResponse => {
    const snap = object(body, "Snapshot");
    onlyKeys(snap, ["location", "tags", "properties"], "Snapshot");
    if (!SNAPSHOT_NAME.test(name))
      throw new BadRequest(
        `snapshot name "${name}" is invalid (at most 80 characters)`,
        400,
        "InvalidResourceName",
      );
    const { properties } = copySource(snap, "Snapshot", "disks");
    onlyKeys(properties, ["creationData", "incremental"], "Snapshot.properties");
    if (properties.incremental !== undefined && typeof properties.incremental !== "boolean")
      throw new BadRequest("Snapshot.properties.incremental must be a boolean");
    const created: AzureResource = {
      id: armId(group, "snapshots", name),
      name,
      location: str(snap.location, "Snapshot.location"),
      tags: validTags(snap.tags, "Snapshot.tags"),
      properties: { ...properties, provisioningState: "Creating", diskSizeGB: 10 },
    };
    resources.set(created.id.toLowerCase(), created);
    const fail = behaviour.failSnapshots;
    return startOperation(
      201,
      created.location,
      wire(created),
      () => {
        created.properties.provisioningState = fail ? "Failed" : "Succeeded";
      },
      fail,
    );
  };

  const putDisk = (group: string, name: string, body: unknown): FakeResponse => {
    const disk = object(body, "Disk");
    onlyKeys(disk, ["location", "tags", "sku", "zones", "properties"], "Disk");
    if (!/^restore-[0-9a-f-]{36}$/.test(name))
      throw new BadRequest(`disk name "${name}" is not restore-<uuid>`);
    const { properties } = copySource(disk, "Disk", "snapshots");
    onlyKeys(properties, ["creationData"], "Disk.properties");
    const sku = str(object(disk.sku, "Disk.sku").name, "Disk.sku.name");
    if (!SKUS.includes(sku)) throw new BadRequest(`Disk.sku.name ${sku} is not a disk SKU`);
    if (disk.zones !== undefined) {
      if (
        !Array.isArray(disk.zones) ||
        disk.zones.length !== 1 ||
        !["1", "2", "3"].includes(disk.zones[0] as string)
      ) {
        throw new BadRequest(
          `Disk.zones must be one of ["1"], ["2"], ["3"], got ${JSON.stringify(disk.zones)}`,
        );
      }
      if (sku.endsWith("_ZRS")) throw new BadRequest(`a ${sku} disk cannot be zonal`);
    }
    const created: AzureResource = {
      id: armId(group, "disks", name),
      name,
      location: str(disk.location, "Disk.location"),
      tags: validTags(disk.tags, "Disk.tags"),
      sku: { name: sku },
      ...(disk.zones ? { zones: disk.zones as string[] } : {}),
      properties: { ...properties, provisioningState: "Creating", diskSizeGB: 10, diskState: "Unattached" },
    };
    resources.set(created.id.toLowerCase(), created);
    return startOperation(
      201,
      created.location,
      wire(created),
      () => (created.properties.provisioningState = "Succeeded"),
    );
  };

  const wire = (r: AzureResource) => ({
    ...r,
    type: r.id.includes("/disks/") ? "Microsoft.Compute/disks" : "Microsoft.Compute/snapshots",
  });

  const route = (request: FakeRequest): FakeResponse | undefined => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      return {
        status: 401,
        body: azureError(401, "InvalidAuthenticationToken", "The access token is invalid."),
      };
    }
    if (!request.query.get("api-version"))
      throw new BadRequest("missing api-version", 400, "MissingApiVersionParameter");
    const { method, path } = request;
    let m =
      /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Compute\/locations\/[^/]+\/operations\/([^/]+)$/.exec(
        path,
      );
    if (m && method === "GET") {
      const op = operations.get(m[2]!);
      if (!op) return { status: 404, body: azureError(404, "NotFound", "no such operation") };
      if (op.pollsLeft > 0 && --op.pollsLeft === 0) op.done();
      if (op.pollsLeft > 0) return { status: 200, body: { status: "InProgress" } };
      return op.fail
        ? {
            status: 200,
            body: {
              status: "Failed",
              error: { code: "OperationNotAllowed", message: "the fake was told to fail" },
            },
          }
        : { status: 200, body: { status: "Succeeded" } };
    }
    m =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(disks|snapshots)(?:\/([^/]+))?$/.exec(
        path,
      );
    if (!m) return undefined;
    if (m[1] !== subscription)
      return { status: 404, body: azureError(404, "SubscriptionNotFound", `subscription ${m[1]} not found`) };
    const [, , group, kind, name] = m as unknown as [
      string,
      string,
      string,
      "disks" | "snapshots",
      string | undefined,
    ];
    if (name === undefined) {
      if (method !== "GET") return undefined;
      const prefix = armId(group, kind, "").toLowerCase();
      return {
        status: 200,
        body: {
          value: [...resources.values()].filter((r) => r.id.toLowerCase().startsWith(prefix)).map(wire),
        },
      };
    }
    const id = armId(group, kind, name);
    const existing = get(id);
    if (method === "GET") {
      return existing
        ? { status: 200, body: wire(existing) }
        : {
            status: 404,
            body: azureError(404, "ResourceNotFound", `The Resource '${kind}/${name}' was not found.`),
          };
    }
    if (method === "PUT") {
      if (existing) throw new BadRequest(`${kind}/${name} exists already`, 409, "Conflict");
      return kind === "snapshots"
        ? putSnapshot(group, name, request.body)
        : putDisk(group, name, request.body);
    }
    if (method === "DELETE") {
      if (!existing) return { status: 204 };
      return startOperation(202, existing.location, undefined, () => resources.delete(id.toLowerCase()));
    }
    return undefined;
  };

  const server = await startFakeServer(route, azureError);
  base = server.url;
  return {
    url: server.url,
    subscription,
    token,
    resources,
    behaviour,
    rejected: server.rejected,
    requests: server.requests,
    armId,
    addDisk,
    get,
  };
};
