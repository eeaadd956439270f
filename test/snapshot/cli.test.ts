/**
 * The CLI's snapshot flags, on the real `stowage` executable with the built-in `local` provider:
 * `backup create --volume-snapshot-locations / --snapshot-volumes`, `backup describe --details` showing
 * the snapshot, `restore create --volume-snapshot-locations / --restore-volumes`, and
 * `snapshot-location create/get` with commands that use the configured locations.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseSnapshotLocationSpec } from "../../lib/snapshot/location-spec.ts";
import { stowage, tempDir } from "../cli/support.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { gone, makeClaimedPv } from "./roundtrip.ts";

describe("CLI snapshot flags", () => {
  test("NAME=PROVIDER?KEY=VALUE specs", () => {
    assert.deepEqual(parseSnapshotLocationSpec("default=aws?region=us-east-1&profile=prod"), {
      name: "default",
      provider: "aws",
      config: { region: "us-east-1", profile: "prod" },
    });
    assert.deepEqual(parseSnapshotLocationSpec("az=azure?tags=a%3D1%2Cb%3D2"), {
      name: "az",
      provider: "azure",
      config: { tags: "a=1,b=2" },
    });
    assert.throws(() => parseSnapshotLocationSpec("aws"), /is not NAME=PROVIDER\[\?KEY=VALUE&KEY=VALUE\]/);
  });

  test("snapshot-location create → backup create (configured location) → describe → restore create (by name) with a local snapshot location", async () => {
    const env = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "snap-cli");
    const pvName = `pv-${ns}`;
    const volume = join(await mkdtemp(join(tmpdir(), "stowage-cli-vol-")), "data");
    await mkdir(volume);
    await writeFile(join(volume, "file.txt"), "kept by a snapshot\n");
    await makeClaimedPv(cluster, ns, pvName, { volumeId: volume, spec: { hostPath: { path: volume } } });
    const snapshots = await mkdtemp(join(tmpdir(), "stowage-cli-snaps-"));
    const spec = `snaps=local?path=${encodeURIComponent(snapshots)}`;
    const store = join(tempDir(), "store");
    const config = join(tempDir(), "config.json");
    const common = ["--kubeconfig", env.kube.kubeconfig, "--store", store, "--config", config];

    const refused = await stowage([
      "backup",
      "create",
      "x",
      ...common,
      "--volume-snapshot-locations",
      "snaps",
    ]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /volume snapshot location "snaps" is not in config file .*config\.json \(known: \[\]\): create it with "stowage snapshot-location create snaps --provider PROVIDER/,
    );

    // named locations in the config file, checked when created
    const location = (args: string[]) => stowage(["--config", config, "snapshot-location", ...args]); // global --config before the command, which has its own
    const made = await location(["create", "snaps", "--provider", "local", "--config", `path=${snapshots}`]);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout, 'Volume snapshot location "snaps" configured successfully.\n');
    const badKey = await location(["create", "bad", "--provider", "local", "--config", "pth=/x"]);
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /pth/);
    const badProvider = await location(["create", "bad", "--provider", "nosuch"]);
    assert.equal(badProvider.code, 1);
    assert.match(badProvider.stderr, /unknown volume snapshotter "nosuch"/);
    assert.equal((await location(["create", "snaps", "--provider", "local"])).code, 1, "no duplicates");
    const listed = await location(["get"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`^NAME\\s+PROVIDER\\s+CONFIG\\nsnaps\\s+local\\s+path=${snapshots}\\n$`),
    );
    const asJson = await location(["get", "snaps", "-o", "json"]);
    assert.deepEqual(JSON.parse(asJson.stdout), {
      apiVersion: "velero.io/v1",
      kind: "VolumeSnapshotLocation",
      metadata: { name: "snaps" },
      spec: { provider: "local", config: { path: snapshots } },
    });

    const name = `${ns}-b`;
    const created = await stowage([
      "backup",
      "create",
      name,
      ...common,
      "--include-namespaces",
      ns,
      "-o",
      "json",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const backup = JSON.parse(created.stdout);
    assert.deepEqual(backup.spec.volumeSnapshotLocations, ["snaps"]);
    assert.equal(backup.status.volumeSnapshotsCompleted, 1);

    const described = await stowage(["backup", "describe", name, "--details", "--store", store]);
    // --volume-snapshot-locations still takes a location inline
    assert.equal(described.code, 0, described.stderr);
    assert.match(
      described.stdout,
      new RegExp(
        `Velero-Native Snapshots:\\n {4}${pvName}:\\n {6}Snapshot ID: +snap-[0-9a-f-]{36}\\n {6}Type: +directory\\n`,
      ),
    );

    const skipped = await stowage([
      "backup",
      "create",
      `${name}-nosnap`,
      ...common,
      "--include-namespaces",
      ns,
      "--volume-snapshot-locations",
      spec,
      "--snapshot-volumes=false",
      "-o",
      "json",
    ]);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.equal(JSON.parse(skipped.stdout).status.volumeSnapshotsAttempted, undefined);
    assert.equal(JSON.parse(skipped.stdout).spec.snapshotVolumes, false);

    await cluster.delete("namespaces", ns);
    await gone(cluster, "namespaces", ns);
    await cluster.delete("persistentvolumes", pvName);
    await gone(cluster, "persistentvolumes", pvName);
    const restored = await stowage([
      "restore",
      "create",
      "--from-backup",
      name,
      ...common,
      "--volume-snapshot-locations",
      "snaps",
      "--wait",
    ]);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const pv = await cluster.get("persistentvolumes", pvName);
    const path = (pv.spec as { hostPath: { path: string } }).hostPath.path;
    assert.ok(path.startsWith(join(snapshots, "volumes")), path);
    assert.equal(await readFile(join(path, "file.txt"), "utf8"), "kept by a snapshot\n");
  });
});
