/**
 * The `azure` snapshotter: the real `@azure/arm-compute` client against the local fake ARM
 * (test/snapshot/fake-azure.ts), which validates every request. The round trip for in-tree `azureDisk`
 * and CSI `disk.csi.azure.com` PVs (a zonal Premium_LRS disk and a zone-redundant one), a failed
 * long-running operation, and config errors.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, before, describe, test } from "node:test";
import {
  azureVolumeSnapshotter,
  backup,
  type KubeObject,
  registerVolumeSnapshotter,
  type VolumeSnapshotLocation,
} from "../../lib/index.ts";
import { connectTest } from "../support/kube.ts";
import { tempFsStore } from "../support/stores.ts";
import { type FakeAzure, startFakeAzure } from "./fake-azure.ts";
import { backedUpPv, type ProviderFixture, type PvKind, roundTrip } from "./roundtrip.ts";

const DISKS = "velero-disks";
const SNAPSHOTS = "velero-snapshots";
let fake: FakeAzure;
let location: VolumeSnapshotLocation;
let credentialsFile: string;

const credential = (token: string) => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});

before(async () => {
  fake = await startFakeAzure();
  const dir = await mkdtemp(join(tmpdir(), "stowage-azure-"));
  credentialsFile = join(dir, "cloud");
  await writeFile(
    credentialsFile,
    `AZURE_SUBSCRIPTION_ID=${fake.subscription}\nAZURE_RESOURCE_GROUP="${DISKS}"\n# a comment\nAZURE_CLOUD_NAME=AzurePublicCloud\n`,
  );
  registerVolumeSnapshotter(
    "azure",
    azureVolumeSnapshotter({
      endpoint: fake.url,
      credential: credential(fake.token),
      allowInsecureConnection: true,
      pollIntervalMs: 10,
    }),
    { replace: true },
  );
  location = {
    name: "azure-default",
    provider: "azure",
    config: {
      credentialsFile,
      resourceGroup: SNAPSHOTS,
      incremental: "true",
      tags: "owner=stowage, env=test",
      apiTimeout: "1m",
    },
  };
});

afterEach(() => {
  assert.deepEqual(fake.rejected.splice(0), [], "the fake accepted every request the client sent");
});

const azureFixture = (): ProviderFixture => ({
  location,
  async makeVolume(kind: PvKind, suffix: string) {
    const name = `disk-${suffix}`;
    if (kind === "in-tree") {
      const disk = fake.addDisk(DISKS, name, {
        sku: "Premium_LRS",
        location: "eastus",
        zones: ["1"],
        tags: { team: suffix },
      });
      return {
        volumeId: name,
        labels: { "topology.kubernetes.io/zone": "eastus-1" },
        spec: {
          azureDisk: {
            diskName: name,
            diskURI: disk.id,
            kind: "Managed",
            cachingMode: "ReadOnly",
            fsType: "ext4",
          },
        },
      };
    }
    const disk = fake.addDisk(DISKS, name, {
      sku: "StandardSSD_ZRS",
      location: "eastus",
      tags: { team: suffix },
    });
    return {
      volumeId: name,
      spec: {
        csi: { driver: "disk.csi.azure.com", volumeHandle: disk.id },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: "topology.disk.csi.azure.com/zone", operator: "In", values: ["eastus-2"] },
                ],
              },
            ],
          },
        },
      },
    };
  },
  volumeIdOf(pv: KubeObject) {
    const spec = pv.spec as {
      csi?: { volumeHandle: string };
      azureDisk?: { diskName: string; diskURI: string };
    };
    if (spec.azureDisk) {
      assert.equal(
        spec.azureDisk.diskURI,
        fake.armId(DISKS, "disks", spec.azureDisk.diskName),
        "diskURI is set with diskName",
      );
      return spec.azureDisk.diskName;
    }
    const handle = spec.csi?.volumeHandle ?? "";
    assert.match(
      handle,
      new RegExp(
        `^/subscriptions/${fake.subscription}/resourceGroups/${DISKS}/providers/Microsoft.Compute/disks/`,
      ),
    );
    return handle.split("/").at(-1) ?? "";
  },
  async checkSnapshot(record, { backupName, pvName, volume }) {
    const id = record.status.providerSnapshotID!;
    assert.match(
      id,
      new RegExp(
        `^/subscriptions/${fake.subscription}/resourceGroups/${SNAPSHOTS}/providers/Microsoft.Compute/snapshots/${volume.volumeId}-[0-9a-f-]{36}$`,
      ),
    );
    const snap = fake.get(id)!;
    const disk = fake.get(fake.armId(DISKS, "disks", volume.volumeId))!;
    assert.equal(snap.properties.provisioningState, "Succeeded");
    assert.equal(snap.location, disk.location);
    assert.equal(snap.properties.incremental, true);
    assert.deepEqual(snap.properties.creationData, { createOption: "Copy", sourceResourceId: disk.id });
    assert.deepEqual(snap.tags, {
      team: disk.tags?.team,
      "velero.io-backup": backupName,
      "velero.io-pv": pvName,
      "velero.io-storage-location": "default",
      owner: "stowage",
      env: "test",
    });
    assert.equal(record.spec.volumeType, disk.sku?.name);
    assert.equal(record.spec.volumeIOPS, undefined);
    assert.equal(record.spec.volumeAZ, disk.zones ? "eastus-1" : "eastus-2");
  },
  async checkRestored(volumeId, record) {
    const disk = fake.get(fake.armId(DISKS, "disks", volumeId))!;
    const snap = fake.get(record.status.providerSnapshotID!)!;
    assert.equal(disk.properties.provisioningState, "Succeeded");
    assert.deepEqual(disk.properties.creationData, { createOption: "Copy", sourceResourceId: snap.id });
    assert.equal(disk.sku?.name, record.spec.volumeType);
    assert.equal(disk.location, snap.location);
    assert.deepEqual(disk.tags, snap.tags);
    // the zone is the last part of the recorded AZ, except for zone-redundant SKUs
    assert.deepEqual(disk.zones, record.spec.volumeType.endsWith("_ZRS") ? undefined : ["1"]);
  },
  async checkDeleted(record) {
    assert.equal(fake.get(record.status.providerSnapshotID!), undefined);
  },
});

describe("azure volume snapshotter against a fake ARM", () => {
  test("in-tree azureDisk PV (zonal Premium_LRS): backup → delete → restore from the snapshot → deleteBackup", async () => {
    const { progress } = await roundTrip(azureFixture(), "in-tree");
    assert.ok(
      progress.some((line) => /InProgress|running/i.test(line)),
      `progress was reported: ${progress.join(" | ")}`,
    );
    const polls = fake.requests.filter((r) => r.path.includes("/operations/"));
    assert.ok(polls.length >= 4, "the long-running operations were polled");
  });

  test("CSI disk.csi.azure.com PV (StandardSSD_ZRS, zone from node affinity): the same round trip", async () => {
    await roundTrip(azureFixture(), "csi");
  });

  test("a snapshot operation that fails: PartiallyFailed naming the PV", async () => {
    fake.behaviour.failSnapshots = true;
    try {
      const { pvName, ns, backup: b } = await backedUpPv(azureFixture(), "in-tree", "az-fail");
      assert.equal(b.phase, "PartiallyFailed");
      assert.match(
        JSON.stringify(b.errors),
        new RegExp(
          `name: /${pvName} message: /error taking snapshot of volume error: /velero.io/azure: snapshot of disk disk-${ns} failed: .*the fake was told to fail`,
        ),
      );
      assert.equal(b.backup.status?.volumeSnapshotsCompleted, undefined);
    } finally {
      fake.behaviour.failSnapshots = false;
    }
  });

  test("config errors: unknown key, tags, apiTimeout, missing resource group, wrong token", async () => {
    const cluster = await connectTest();
    const store = tempFsStore();
    const attempt = (config: Record<string, string>, provider = "azure") =>
      backup({ cluster, store, name: "never", volumeSnapshotLocations: [{ name: "vsl", provider, config }] });
    await assert.rejects(attempt({ credentialsFile, storageAccount: "x" }), {
      code: "ERR_CONFIG",
      message:
        /invalid keys \[storageAccount\]; valid keys are \[resourceGroup, apiTimeout, subscriptionId, incremental, tags, credentialsFile\]/,
    });
    await assert.rejects(attempt({ credentialsFile, tags: "a=b,c" }), {
      code: "ERR_CONFIG",
      message: /the valid format is "key1=value1,key2=value2"/,
    });
    await assert.rejects(attempt({ credentialsFile, apiTimeout: "soon" }), {
      code: "ERR_CONFIG",
      message: /config key "apiTimeout" \(expected a duration string\)/,
    });
    await assert.rejects(attempt({ credentialsFile, incremental: "maybe" }), {
      code: "ERR_CONFIG",
      message: /could not parse incremental "maybe"/,
    });
    const partial = join(tmpdir(), `stowage-azure-partial-${process.pid}`);
    await writeFile(partial, `AZURE_SUBSCRIPTION_ID=${fake.subscription}\n`);
    await assert.rejects(attempt({ credentialsFile: partial }), {
      code: "ERR_CONFIG",
      message: /AZURE_RESOURCE_GROUP is required/,
    });
    registerVolumeSnapshotter(
      "test.stowage.dev/azure-wrong-token",
      azureVolumeSnapshotter({
        endpoint: fake.url,
        credential: credential("expired"),
        allowInsecureConnection: true,
      }),
    );
    await assert.rejects(attempt({ credentialsFile }, "test.stowage.dev/azure-wrong-token"), {
      code: "ERR_CONFIG",
      message: new RegExp(
        `the credentials do not work for resource group "${DISKS}" in subscription "${fake.subscription}" \\(listing its disks failed: HTTP 401 InvalidAuthenticationToken\\)`,
      ),
    });
    assert.deepEqual(await store.listCommonPrefixes("", "/"), [], "nothing was written");
  });
});
