/**
 * A small Compute Engine for the real `@google-cloud/compute` clients: the REST paths of test-infra.md
 * §6.1 (projects, zonal and regional disks, global snapshots, zone/region/global operations with `wait`),
 * operations that run for a few polls before they are DONE, snapshots that are CREATING then UPLOADING
 * then READY, Google's error bodies, and bearer-token checks. Every request body is validated (fields,
 * names, references to existing disks and snapshots); anything else is answered 400 and recorded.
 */
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

const BASE = "https://www.googleapis.com/compute/v1";
const RFC1035 = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface GceDisk {
  name: string;
  zone?: string;
  region?: string;
  type: string;
  status: string;
  labels: Record<string, string>;
  description: string;
  sourceSnapshot?: string;
  replicaZones?: string[];
  selfLink: string;
}

export interface GceSnapshot {
  name: string;
  status: string;
  sourceDisk: string;
  description: string;
  labels: Record<string, string>;
  snapshotType: string;
  storageLocations?: string[];
  selfLink: string;
  /** GETs left before it is READY. */
  getsLeft: number;
}

interface Operation {
  name: string;
  scope: string;
  pollsLeft: number;
  targetLink: string;
  fail: boolean;
  done(): void;
}

/** Knobs a test turns to make the fake misbehave. */
export interface GceBehaviour {
  /** Operations answer RUNNING this many times before DONE. */
  operationPolls: number;
  /** Snapshot GETs answer UPLOADING this many times before READY. */
  snapshotGets: number;
  /** Snapshots never become READY. */
  stuckSnapshots: boolean;
  /** Snapshot operations end DONE with an error. */
  failSnapshots: boolean;
}

export interface FakeGce {
  readonly url: string;
  readonly port: number;
  readonly project: string;
  readonly token: string;
  readonly disks: Map<string, GceDisk>;
  readonly snapshots: Map<string, GceSnapshot>;
  readonly behaviour: GceBehaviour;
  readonly rejected: string[];
  readonly requests: FakeRequest[];
  /** A zonal (or, with `region`, regional) disk. */
  addDisk(
    where: { zone?: string; region?: string; replicaZones?: string[] },
    name: string,
    fields?: Partial<Pick<GceDisk, "type" | "labels" | "description">>,
  ): GceDisk;
}

const googleError = (status: number, code: string, message: string) => ({
  error: { code: status, message, errors: [{ domain: "global", reason: code, message }] },
});

/**
 * An auth client for `GcpSnapshotterOptions.authClient` that sends `Bearer <token>` (google-gax calls
 * `getRequestHeaders` and `fetch`).
 */
export const fakeGoogleAuth = (token: string) => ({
  getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }),
  fetch: (url: string, init: RequestInit) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${token}`);
    return fetch(url, { ...init, headers });
  },
});

export const startFakeGce = async (project = "stowage-test", token = "gce-token"): Promise<FakeGce> => {
  const disks = new Map<string, GceDisk>();
  const snapshots = new Map<string, GceSnapshot>();
  const operations = new Map<string, Operation>();
  const behaviour: GceBehaviour = {
    operationPolls: 2,
    snapshotGets: 1,
    stuckSnapshots: false,
    failSnapshots: false,
  };
  let sequence = 0;

  const diskKey = (scope: string, name: string) => `${scope}/${name}`;
  const addDisk: FakeGce["addDisk"] = (where, name, fields = {}) => {
    const scope = where.region ? `regions/${where.region}` : `zones/${where.zone}`;
    const disk: GceDisk = {
      name,
      ...(where.zone ? { zone: `${BASE}/projects/${project}/zones/${where.zone}` } : {}),
      ...(where.region ? { region: `${BASE}/projects/${project}/regions/${where.region}` } : {}),
      ...(where.replicaZones ? { replicaZones: where.replicaZones } : {}),
      type: fields.type ?? `${BASE}/projects/${project}/${scope}/diskTypes/pd-balanced`,
      status: "READY",
      labels: fields.labels ?? {},
      description: fields.description ?? "",
      selfLink: `${BASE}/projects/${project}/${scope}/disks/${name}`,
    };
    disks.set(diskKey(scope, name), disk);
    return disk;
  };

  const startOperation = (
    scope: string,
    targetLink: string,
    done: () => void,
    fail = false,
  ): FakeResponse => {
    const name = `operation-${++sequence}`;
    operations.set(`${scope}/${name}`, {
      name,
      scope,
      pollsLeft: behaviour.operationPolls,
      targetLink,
      fail,
      done,
    });
    return { status: 200, body: operationBody(operations.get(`${scope}/${name}`)!) };
  };
  const operationBody = (op: Operation) => ({
    kind: "compute#operation",
    id: String(sequence),
    name: op.name,
    operationType: "insert",
    status: op.pollsLeft > 0 ? "RUNNING" : "DONE",
    progress: op.pollsLeft > 0 ? 50 : 100,
    targetLink: op.targetLink,
    selfLink: `${BASE}/projects/${project}/${op.scope}/operations/${op.name}`,
    ...(op.scope.startsWith("zones/") ? { zone: `${BASE}/projects/${project}/${op.scope}` } : {}),
    ...(op.pollsLeft <= 0 && op.fail
      ? {
          error: {
            errors: [{ code: "RESOURCE_OPERATION_RATE_EXCEEDED", message: "the fake was told to fail" }],
          },
        }
      : {}),
  });
  const pollOperation = (scope: string, name: string): FakeResponse => {
    const op = operations.get(`${scope}/${name}`);
    if (!op) return { status: 404, body: googleError(404, "notFound", `operation ${name} not found`) };
    if (op.pollsLeft > 0) {
      op.pollsLeft--;
      if (op.pollsLeft === 0 && !op.fail) op.done();
    }
    return { status: 200, body: operationBody(op) };
  };

  const insertSnapshot = (body: unknown): FakeResponse => {
    const snap = object(body, "Snapshot");
    onlyKeys(
      snap,
      ["name", "description", "sourceDisk", "snapshotType", "labels", "storageLocations"],
      "Snapshot",
    );
    const name = str(snap.name, "Snapshot.name");
    if (!RFC1035.test(name))
      throw new BadRequest(`Snapshot.name "${name}" is not an RFC 1035 name of at most 63 characters`);
    if (snapshots.has(name))
      return { status: 409, body: googleError(409, "alreadyExists", `snapshot ${name} exists`) };
    const sourceDisk = str(snap.sourceDisk, "Snapshot.sourceDisk");
    if (![...disks.values()].some((d) => d.selfLink === sourceDisk))
      throw new BadRequest(`Snapshot.sourceDisk ${sourceDisk} is not an existing disk's selfLink`);
    const type = str(snap.snapshotType, "Snapshot.snapshotType");
    if (type !== "STANDARD" && type !== "ARCHIVE")
      throw new BadRequest(`Snapshot.snapshotType ${type} is not STANDARD or ARCHIVE`);
    const description = str(snap.description, "Snapshot.description");
    const tags = stringMap(JSON.parse(description), "Snapshot.description (JSON tags)");
    if (!tags["velero.io/pv"]) throw new BadRequest("Snapshot.description has no velero.io/pv tag");
    const snapshot: GceSnapshot = {
      name,
      status: "CREATING",
      sourceDisk,
      description,
      labels: stringMap(snap.labels, "Snapshot.labels"),
      snapshotType: type,
      ...(snap.storageLocations ? { storageLocations: snap.storageLocations as string[] } : {}),
      selfLink: `${BASE}/projects/${project}/global/snapshots/${name}`,
      getsLeft: behaviour.snapshotGets,
    };
    snapshots.set(name, snapshot);
    return startOperation(
      "global",
      snapshot.selfLink,
      () => (snapshot.status = "UPLOADING"),
      behaviour.failSnapshots,
    );
  };

  const insertDisk = (scope: string, body: unknown): FakeResponse => {
    const disk = object(body, "Disk");
    const regional = scope.startsWith("regions/");
    onlyKeys(
      disk,
      [
        "name",
        "sourceSnapshot",
        "type",
        "description",
        "labels",
        "asyncSecondaryDisks",
        ...(regional ? ["replicaZones"] : []),
      ],
      "Disk",
    );
    if (
      disk.asyncSecondaryDisks !== undefined &&
      Object.keys(object(disk.asyncSecondaryDisks, "Disk.asyncSecondaryDisks")).length > 0
    ) {
      throw new BadRequest("Disk.asyncSecondaryDisks must be empty");
    }
    const name = str(disk.name, "Disk.name");
    if (!RFC1035.test(name)) throw new BadRequest(`Disk.name "${name}" is not an RFC 1035 name`);
    const source = str(disk.sourceSnapshot, "Disk.sourceSnapshot");
    const snapshot = [...snapshots.values()].find((s) => s.selfLink === source);
    if (snapshot?.status !== "READY")
      throw new BadRequest(`Disk.sourceSnapshot ${source} is not a READY snapshot`);
    const type = str(disk.type, "Disk.type");
    if (!/\/diskTypes\/[a-z0-9-]+$/.test(type))
      throw new BadRequest(`Disk.type ${type} is not a disk type URL`);
    const replicaZones = regional ? (disk.replicaZones as string[] | undefined) : undefined;
    if (regional && (!Array.isArray(replicaZones) || replicaZones.length !== 2))
      throw new BadRequest("a regional Disk needs 2 replicaZones");
    if (disks.has(diskKey(scope, name)))
      return { status: 409, body: googleError(409, "alreadyExists", `disk ${name} exists`) };
    const [kind, where] = scope.split("/") as [string, string];
    const created = addDisk(
      kind === "regions" ? { region: where, ...(replicaZones ? { replicaZones } : {}) } : { zone: where },
      name,
      {
        type,
        labels: stringMap(disk.labels, "Disk.labels"),
        description: typeof disk.description === "string" ? disk.description : "",
      },
    );
    created.status = "CREATING";
    created.sourceSnapshot = source;
    return startOperation(scope, created.selfLink, () => (created.status = "READY"));
  };

  const route = (request: FakeRequest): FakeResponse | undefined => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      return {
        status: 401,
        body: googleError(401, "authError", "Request had invalid authentication credentials."),
      };
    }
    const match = /^\/compute\/v1\/projects\/([^/]+)(\/.*)?$/.exec(request.path);
    if (!match) return undefined;
    if (match[1] !== project)
      return { status: 404, body: googleError(404, "notFound", `project ${match[1]} not found`) };
    const rest = match[2] ?? "";
    const { method } = request;
    if (method !== "GET" && method !== "DELETE" && !rest.endsWith("/wait") && request.body === undefined)
      throw new BadRequest(`${method} without a body`);
    const at = (re: RegExp, ...methods: string[]) => (methods.includes(method) ? re.exec(rest) : null);
    if (method === "GET" && rest === "") {
      return {
        status: 200,
        body: { name: project, quotas: [{ metric: "SNAPSHOTS", limit: 1000, usage: snapshots.size }] },
      };
    }
    const place = at(/^\/(zones|regions)\/([^/]+)$/, "GET");
    if (place) {
      return {
        status: 200,
        body: { name: place[2], selfLink: `${BASE}/projects/${project}/${place[1]}/${place[2]}` },
      };
    }
    const diskGet = at(/^\/((?:zones|regions)\/[^/]+)\/disks\/([^/]+)$/, "GET");
    if (diskGet) {
      const disk = disks.get(diskKey(diskGet[1]!, diskGet[2]!));
      return disk
        ? { status: 200, body: { kind: "compute#disk", sizeGb: "10", ...disk } }
        : { status: 404, body: googleError(404, "notFound", `disk ${diskGet[2]} not found`) };
    }
    const diskInsert = at(/^\/((?:zones|regions)\/[^/]+)\/disks$/, "POST");
    if (diskInsert) return insertDisk(diskInsert[1]!, request.body);
    const op = at(/^\/((?:zones|regions)\/[^/]+|global)\/operations\/([^/]+)(\/wait)?$/, "GET", "POST");
    if (op && (method === "GET") !== Boolean(op[3])) return pollOperation(op[1]!, op[2]!);
    if (rest === "/global/snapshots" && method === "POST") return insertSnapshot(request.body);
    const snap = at(/^\/global\/snapshots\/([^/]+)$/, "GET", "DELETE");
    if (snap) {
      const snapshot = snapshots.get(snap[1]!);
      if (!snapshot)
        return { status: 404, body: googleError(404, "notFound", `snapshot ${snap[1]} not found`) };
      if (method === "DELETE") {
        snapshots.delete(snapshot.name);
        return startOperation("global", snapshot.selfLink, () => undefined);
      }
      if (snapshot.status === "UPLOADING" && !behaviour.stuckSnapshots && snapshot.getsLeft-- <= 0) {
        snapshot.status = "READY";
      }
      const { getsLeft: _g, ...body } = snapshot;
      return { status: 200, body: { kind: "compute#snapshot", diskSizeGb: "10", ...body } };
    }
    return undefined;
  };

  const server = await startFakeServer(route, googleError);
  return {
    url: server.url,
    port: server.port,
    project,
    token,
    disks,
    snapshots,
    behaviour,
    rejected: server.rejected,
    requests: server.requests,
    addDisk,
  };
};
