// An init-container restore hook on a pod whose volume is restored from its restic backup: as in
// Velero, the hook runs after `restore-wait` (so it sees the restored data — "load the dump") and
// before the workload, and the post-restore exec hook runs once the pod is Ready. Real restic, real
// apiserver; restic Jobs and containers run on the harness node.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { backup, restore } from "../../lib/index.ts";
import { jobDriver } from "../../lib/podvolume/job-driver.ts";
import { harnessNode, IMAGE, tempS3Location } from "../podvolume/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, podOnNode } from "../support/node-player.ts";

describe("restore hooks with pod volumes (harness plays the node)", () => {
  it("runs the init-container hook after restore-wait, on the restored data, then the exec hook (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "hkv-system");
    const app = await makeNamespace(cluster, "hkv-app");
    const restored = `hkv-restored-${uniqueSuffix()}`;
    onCleanup(() => cluster.delete("namespaces", restored).catch(() => undefined));
    const node = await harnessNode(cluster, [restored]);
    const { store, backend } = await tempS3Location();
    const podVolumes = {
      driver: jobDriver({
        cluster,
        namespace: system,
        image: IMAGE,
        pollIntervalMs: 200,
        timeoutMs: 120_000,
      }),
      backend,
      credentialsNamespace: system,
    };
    const db = await createRunningPod(
      cluster,
      podOnNode({
        namespace: app,
        name: "db-0",
        node: node.name,
        labels: { app: "db" },
        annotations: { "backup.velero.io/backup-volumes": "data" },
      }),
    );
    writeFileSync(
      join(node.emptyDir(db.metadata?.uid ?? "", "data"), "dump.sql"),
      "INSERT INTO t VALUES (1);\n",
    );
    const backupName = `hkv-${uniqueSuffix()}`;
    const backedUp = await backup({
      cluster,
      store,
      name: backupName,
      includedNamespaces: [app],
      podVolumes,
    });
    assert.equal(backedUp.phase, "Completed", JSON.stringify(backedUp.errors));

    const result = await restore({
      cluster,
      store,
      backupName,
      namespaceMapping: { [app]: restored },
      podVolumes,
      hooks: {
        resources: [
          {
            name: "load-dump",
            includedNamespaces: [restored],
            labelSelector: "app=db",
            postHooks: [
              {
                init: {
                  initContainers: [
                    {
                      name: "load",
                      image: IMAGE,
                      command: [
                        "sh",
                        "-c",
                        'cp "$1" "$2"',
                        "sh",
                        "/mnt/data/dump.sql",
                        "/mnt/data/loaded.sql",
                      ],
                      volumeMounts: [{ name: "data", mountPath: "/mnt/data" }],
                    },
                  ],
                },
              },
              {
                exec: {
                  command: [
                    "sh",
                    "-c",
                    'cp "$1" "$2"',
                    "sh",
                    "/mnt/data/loaded.sql",
                    "/mnt/data/checked.sql",
                  ],
                  waitForReady: true,
                  waitTimeout: "2m",
                  onError: "Fail",
                },
              },
            ],
          },
        ],
      },
    });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.deepEqual(result.hookStatus, { hooksAttempted: 1, hooksFailed: 0 });

    const live = await eventually("restored db-0 running", async () => {
      const pod = await cluster.tryGet("pods", "db-0", { namespace: restored });
      return (pod?.status as { phase?: string } | undefined)?.phase === "Running" ? pod : undefined;
    });
    const inits = (live.spec as { initContainers: Array<{ name: string }> }).initContainers.map(
      (c) => c.name,
    );
    assert.deepEqual(inits, ["restore-wait", "load"], "the hook runs after Velero's restore helper");
    const dir = node.emptyDir(live.metadata?.uid ?? "", "data");
    assert.equal(readFileSync(join(dir, "loaded.sql"), "utf8"), "INSERT INTO t VALUES (1);\n");
    assert.equal(readFileSync(join(dir, "checked.sql"), "utf8"), "INSERT INTO t VALUES (1);\n");
    const ran = node.executed.filter((e) => e.namespace === restored && e.init);
    assert.deepEqual(
      ran.map((e) => [e.container, e.exitCode]),
      [
        ["restore-wait", 0],
        ["load", 0],
      ],
    );
    assert.ok(
      (ran[0]?.finishedAt ?? 0) <= (ran[1]?.startedAt ?? 0),
      "load started once the data was in place",
    );
  });
});
