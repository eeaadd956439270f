/**
 * The `gcp` snapshotter: the real `@google-cloud/compute` clients against the local fake Compute Engine
 * (test/snapshot/fake-gce.ts), which validates every request. The round trip for in-tree
 * `gcePersistentDisk`, CSI `pd.csi.storage.gke.io` and a regional CSI disk; failures and timeouts;
 * config errors.
 */
import assert from "node:assert/strict";
import { afterEach, before, describe, test } from "node:test";
import {
  backup,
  gcpVolumeSnapshotter,
  type KubeObject,
  registerVolumeSnapshotter,
  type VolumeSnapshotLocation,
} from "../../lib/index.ts";
import { connectTest } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";
import { type FakeGce, fakeGoogleAuth, startFakeGce } from "./fake-gce.ts";
import { backedUpPv, type ProviderFixture, type PvKind, readJsonGz, roundTrip } from "./roundtrip.ts";

const ZONE = "us-central1-a";
let fake: FakeGce;
let location: VolumeSnapshotLocation;

before(async () => {
  fake = await startFakeGce();
  registerVolumeSnapshotter(
    "gcp",
    gcpVolumeSnapshotter({
      apiEndpoint: "127.0.0.1",
      port: fake.port,
      protocol: "http",
      authClient: fakeGoogleAuth(fake.token),
      project: fake.project,
      pollIntervalMs: 10,
    }),
    { replace: true },
  );
  location = { name: "gcp-default", provider: "gcp", config: { snapshotLocation: "us" } };
});

afterEach(() => {
  assert.deepEqual(fake.rejected.splice(0), [], "the fake accepted every request the client sent");
});

const lastSegment = (text: string) => text.split("/").at(-1) ?? "";

const gcpFixture = (): ProviderFixture => ({
  location,
  async makeVolume(kind: PvKind, suffix: string) {
    const name = `pd-${suffix}`;
    const fields = {
      labels: { team: suffix },
      description: JSON.stringify({ "kubernetes.io/created-for/pv/name": name }),
    };
    if (kind === "regional") {
      fake.addDisk({ region: "us-central1", replicaZones: [ZONE, "us-central1-b"] }, name, fields);
      return {
        volumeId: name,
        spec: {
          csi: {
            driver: "pd.csi.storage.gke.io",
            volumeHandle: `projects/${fake.project}/regions/us-central1/disks/${name}`,
          },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "topology.gke.io/zone", operator: "In", values: [ZONE] }] },
                {
                  matchExpressions: [
                    { key: "topology.gke.io/zone", operator: "In", values: ["us-central1-b"] },
                  ],
                },
              ],
            },
          },
        },
      };
    }
    fake.addDisk({ zone: ZONE }, name, fields);
    if (kind === "in-tree") {
      return {
        volumeId: name,
        labels: { "topology.kubernetes.io/zone": ZONE },
        spec: { gcePersistentDisk: { pdName: name, fsType: "ext4" } },
      };
    }
    return {
      volumeId: name,
      spec: {
        csi: {
          driver: "pd.csi.storage.gke.io",
          volumeHandle: `projects/${fake.project}/zones/${ZONE}/disks/${name}`,
        },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "topology.gke.io/zone", operator: "In", values: [ZONE] }] },
            ],
          },
        },
      },
    };
  },
  volumeIdOf(pv: KubeObject) {
    const spec = pv.spec as { csi?: { volumeHandle: string }; gcePersistentDisk?: { pdName: string } };
    if (spec.csi) {
      assert.match(
        spec.csi.volumeHandle,
        new RegExp(`^projects/${fake.project}/(zones/${ZONE}|regions/us-central1)/disks/`),
      );
      return lastSegment(spec.csi.volumeHandle);
    }
    return spec.gcePersistentDisk?.pdName ?? "";
  },
  async checkSnapshot(record, { backupName, pvName, volume }) {
    const snap = fake.snapshots.get(record.status.providerSnapshotID!)!;
    assert.equal(snap.status, "READY");
    assert.match(snap.name, new RegExp(`^${volume.volumeId}-[0-9a-f-]{36}$`));
    assert.ok(snap.name.length <= 63);
    const disk = [...fake.disks.values()].find((d) => d.name === volume.volumeId)!;
    assert.equal(snap.sourceDisk, disk.selfLink);
    assert.deepEqual(JSON.parse(snap.description), {
      "kubernetes.io/created-for/pv/name": volume.volumeId,
      "velero.io/backup": backupName,
      "velero.io/pv": pvName,
      "velero.io/storage-location": "default",
    });
    assert.deepEqual(snap.labels, disk.labels, "the disk's labels are copied");
    assert.equal(snap.snapshotType, "STANDARD");
    assert.deepEqual(snap.storageLocations, ["us"]);
    assert.equal(record.spec.volumeType, disk.type);
    assert.equal(record.spec.volumeIOPS, undefined);
    assert.equal(record.spec.volumeAZ, disk.region ? `${ZONE}__us-central1-b` : ZONE);
  },
  async checkRestored(volumeId, record) {
    const disk = [...fake.disks.values()].find((d) => d.name === volumeId)!;
    const snap = fake.snapshots.get(record.status.providerSnapshotID!)!;
    assert.match(volumeId, /^restore-[0-9a-f-]{36}$/);
    assert.equal(disk.status, "READY");
    assert.equal(disk.sourceSnapshot, snap.selfLink);
    assert.equal(disk.type, record.spec.volumeType);
    assert.deepEqual(disk.labels, snap.labels);
    assert.equal(disk.description, snap.description);
    if (record.spec.volumeAZ?.includes("__")) {
      assert.deepEqual(disk.replicaZones, [
        `https://www.googleapis.com/compute/v1/projects/${fake.project}/zones/${ZONE}`,
        `https://www.googleapis.com/compute/v1/projects/${fake.project}/zones/us-central1-b`,
      ]);
    }
  },
  async checkDeleted(record) {
    assert.equal(fake.snapshots.has(record.status.providerSnapshotID!), false);
  },
});

describe("gcp volume snapshotter against a fake Compute Engine", () => {
  test("in-tree gcePersistentDisk PV: backup → delete → restore from the snapshot → deleteBackup", async () => {
    const { progress } = await roundTrip(gcpFixture(), "in-tree");
    assert.ok(
      progress.some((line) => /RUNNING|UPLOADING/.test(line)),
      `progress was reported: ${progress.join(" | ")}`,
    );
    const paths = fake.requests.map((r) => `${r.method} ${r.path}`);
    assert.ok(
      paths.some((p) =>
        /^POST \/compute\/v1\/projects\/stowage-test\/global\/operations\/operation-\d+\/wait$/.test(p),
      ),
    );
    assert.ok(
      paths.some((p) =>
        /^POST \/compute\/v1\/projects\/stowage-test\/zones\/us-central1-a\/operations\/operation-\d+\/wait$/.test(
          p,
        ),
      ),
    );
  });

  test("CSI pd.csi.storage.gke.io PV (zone from node affinity): the same round trip", async () => {
    await roundTrip(gcpFixture(), "csi");
  });

  test("regional CSI disk (two GKE zones): regional disk APIs and replica zones", async () => {
    await roundTrip(gcpFixture(), "regional");
  });

  const failingBackup = async (what: string, turn: (b: FakeGce["behaviour"]) => void, timeoutMs: number) => {
    turn(fake.behaviour);
    try {
      const {
        pvName,
        store,
        backup: b,
      } = await backedUpPv(gcpFixture(), "in-tree", `gcp-${what}`, {
        snapshotTimeoutMs: timeoutMs,
      });
      const records = await readJsonGz<Array<{ status: { phase: string } }>>(
        store,
        `backups/${b.name}/${b.name}-volumesnapshots.json.gz`,
      );
      const infos = await readJsonGz<Array<{ result: string }>>(
        store,
        `backups/${b.name}/${b.name}-volumeinfo.json.gz`,
      );
      const list = await readJsonGz<Record<string, string[]>>(
        store,
        `backups/${b.name}/${b.name}-resource-list.json.gz`,
      );
      return { b, pvName, records, infos, list };
    } finally {
      Object.assign(fake.behaviour, { stuckSnapshots: false, failSnapshots: false });
    }
  };

  test("a snapshot that never becomes READY times out: PartiallyFailed naming the PV, record Failed", async () => {
    const { b, pvName, records, infos, list } = await failingBackup(
      "stuck",
      (x) => (x.stuckSnapshots = true),
      300,
    );
    assert.equal(b.phase, "PartiallyFailed");
    assert.match(
      JSON.stringify(b.errors),
      new RegExp(
        `name: /${pvName} message: /error taking snapshot of volume error: /.*did not complete within 300 ms \\(last state: UPLOADING\\)`,
      ),
    );
    assert.deepEqual(
      records.map((r) => r.status.phase),
      ["Failed"],
    );
    assert.deepEqual(
      infos.map((i) => i.result),
      ["failed"],
    );
    assert.equal(list["v1/PersistentVolume"], undefined, "Velero does not write a PV whose snapshot failed");
    assert.equal(b.backup.status?.volumeSnapshotsAttempted, 1);
    assert.equal(b.backup.status?.volumeSnapshotsCompleted, undefined);
  });

  test("an operation that ends with an error: PartiallyFailed with the provider's message", async () => {
    const { b } = await failingBackup("fail", (x) => (x.failSnapshots = true), 60_000);
    assert.equal(b.phase, "PartiallyFailed");
    assert.match(JSON.stringify(b.errors), /RESOURCE_OPERATION_RATE_EXCEEDED: the fake was told to fail/);
  });

  test("config errors: unknown key, snapshot type, missing credentials file, wrong credentials", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    const attempt = (config: Record<string, string>, provider = "gcp") =>
      backup({ cluster, store, name: "never", volumeSnapshotLocations: [{ name: "vsl", provider, config }] });
    await assert.rejects(attempt({ region: "x" }), {
      code: "ERR_CONFIG",
      message:
        /invalid keys \[region\]; valid keys are \[snapshotLocation, snapshotType, project, credentialsFile, volumeProject\]/,
    });
    await assert.rejects(attempt({ snapshotType: "cold" }), {
      code: "ERR_CONFIG",
      message: /unsupported snapshot type: "cold"/,
    });
    await assert.rejects(attempt({ credentialsFile: "/nonexistent/key.json" }), {
      code: "ERR_CONFIG",
      message: /error reading provided credentials file \/nonexistent\/key\.json/,
    });
    registerVolumeSnapshotter(
      "test.stowage.dev/gcp-wrong-token",
      gcpVolumeSnapshotter({
        apiEndpoint: "127.0.0.1",
        port: fake.port,
        protocol: "http",
        authClient: fakeGoogleAuth("stale"),
        project: fake.project,
      }),
    );
    await assert.rejects(attempt({}, "test.stowage.dev/gcp-wrong-token"), {
      code: "ERR_CONFIG",
      message:
        /the credentials do not work for project "stowage-test" \(projects\.get failed: .*invalid authentication credentials/,
    });
    await assert.rejects(attempt({ volumeProject: "someone-else" }), {
      code: "ERR_CONFIG",
      message: /project "someone-else"/,
    });
    assert.deepEqual(await store.listCommonPrefixes("", "/"), [], "nothing was written");
  });
});
