/**
 * The CLI's snapshot flags, on the real `stowage` executable with the built-in `local` provider:
 * `backup create --volume-snapshot-locations / --snapshot-volumes`, `backup describe --details` showing
 * the snapshot, `restore create --volume-snapshot-locations / --restore-volumes`.
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

  test("backup create → describe → restore create with a local snapshot location", async () => {
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
    const common = ["--kubeconfig", env.kube.kubeconfig, "--store", store];

    const refused = await stowage([
      "backup",
      "create",
      "x",
      ...common,
      "--volume-snapshot-locations",
      "snaps",
    ]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /"snaps" is not NAME=PROVIDER/);

    const name = `${ns}-b`;
    const created = await stowage([
      "backup",
      "create",
      name,
      ...common,
      "--include-namespaces",
      ns,
      "--volume-snapshot-locations",
      spec,
      "-o",
      "json",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const backup = JSON.parse(created.stdout);
    assert.deepEqual(backup.spec.volumeSnapshotLocations, ["snaps"]);
    assert.equal(backup.status.volumeSnapshotsCompleted, 1);

    const described = await stowage(["backup", "describe", name, "--details", "--store", store]);
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
      spec,
      "--wait",
    ]);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const pv = await cluster.get("persistentvolumes", pvName);
    const path = (pv.spec as { hostPath: { path: string } }).hostPath.path;
    assert.ok(path.startsWith(join(snapshots, "volumes")), path);
    assert.equal(await readFile(join(path, "file.txt"), "utf8"), "kept by a snapshot\n");
  });
});
