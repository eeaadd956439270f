// Backup exec hooks (issue #20 item 2, and per-pod function hooks): pod annotations in Velero's keys
// and their stowage.dev twins, a real Velero Backup's spec.hooks, onError, timeouts and hookStatus.
// Commands run through the real apiserver's pods/exec on the harness node, which runs them as local
// processes in the pod's mapped directories; pod volumes go to real restic against MinIO.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { describeBackup } from "../../lib/cli/describe-backup.ts";
import {
  type Backup,
  type BackupOptions,
  backup,
  type Cluster,
  type KubeObject,
  type ObjectStore,
  ValidationError,
} from "../../lib/index.ts";
import { type ResticBackend, repositoryAddress } from "../../lib/podvolume/backend.ts";
import type { ResticCommand } from "../../lib/podvolume/commands.ts";
import { findRepositoryKey } from "../../lib/podvolume/keys.ts";
import { type LocalDriver, localDriver } from "../../lib/podvolume/local-driver.ts";
import type { PodVolumeBackupRecord } from "../../lib/podvolume/records.ts";
import { decodeJsonGz, getBuffer } from "../../lib/store/index.ts";
import { backupKeys } from "../../lib/store/layout.ts";
import { harnessNode, resticPath, tempDir, tempS3Location } from "../podvolume/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, type NodePlayer, podOnNode } from "../support/node-player.ts";

const readJson = async <T>(store: ObjectStore, key: string): Promise<T | null> =>
  decodeJsonGz<T>(await getBuffer(store, key), key);

/** A command that writes `text` into the file at `path` (a path inside the container, mapped by the node). */
const writeFileCommand = (text: string, path: string): string[] => ["sh", "-c", `echo ${text} > "$0"`, path];

/** A cluster, an app namespace, the harness node, an S3 location and file-system backup with local restic. */
const setUp = async (prefix: string) => {
  const cluster = await connectTest();
  const system = await makeNamespace(cluster, `${prefix}-system`);
  const app = await makeNamespace(cluster, prefix);
  const node = await harnessNode(cluster);
  const { store, backend } = await tempS3Location();
  const driver = localDriver({ resticPath: resticPath(), kubeletRootDir: node.kubeletDir, cacheDir: false });
  const podVolumes = { driver, backend, credentialsNamespace: system };
  return { cluster, system, app, node, store, backend, driver, podVolumes };
};

/** A running pod on the harness node with an emptyDir `data` (mounted at /mnt/data) holding `seed.txt`. */
const hookedPod = async (
  node: NodePlayer,
  cluster: Cluster,
  init: {
    namespace: string;
    name: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  },
): Promise<{ pod: KubeObject; dir: string }> => {
  const pod = await createRunningPod(
    cluster,
    podOnNode({
      ...init,
      node: node.name,
      annotations: { "backup.velero.io/backup-volumes": "data", ...init.annotations },
    }),
  );
  const dir = node.emptyDir(pod.metadata?.uid ?? "", "data");
  writeFileSync(join(dir, "seed.txt"), "seed\n");
  return { pod, dir };
};

/** The files (path → content) of the restic snapshot of `pod`'s volume `data` in backup `name`. */
const snapshotFiles = async (
  setup: {
    cluster: Cluster;
    store: ObjectStore;
    backend: ResticBackend;
    driver: LocalDriver;
    system: string;
  },
  name: string,
  namespace: string,
  pod: string,
): Promise<Map<string, string>> => {
  const records =
    (await readJson<PodVolumeBackupRecord[]>(setup.store, backupKeys(name).podVolumeBackups)) ?? [];
  const record = records.find((r) => r.spec.pod.name === pod && r.spec.volume === "data");
  assert.ok(
    record,
    `a PodVolumeBackup of ${pod}/data in ${JSON.stringify(records.map((r) => r.spec.pod.name))}`,
  );
  assert.equal(record.status.phase, "Completed", record.status.message);
  const key = await findRepositoryKey(setup.cluster, namespace, { credentialsNamespace: setup.system });
  assert.ok(key);
  const address = repositoryAddress(setup.backend, namespace);
  const repository = { address, key };
  const command = (args: string[]): ResticCommand => ({
    operation: "snapshots",
    namespace,
    args: [...address.globalArgs, "--no-cache", ...args],
    env: { RESTIC_REPOSITORY: address.url, ...address.env },
  });
  const snapshot = record.status.snapshotID ?? "";
  const listed = await setup.driver.run(command(["ls", "--json", snapshot]), repository, {
    collectStdout: true,
  });
  assert.equal(listed.exitCode, 0, listed.stderr);
  const files = new Map<string, string>();
  for (const line of listed.stdout.split("\n").filter(Boolean)) {
    const entry = JSON.parse(line) as { type?: string; path?: string };
    if (entry.type !== "file" || !entry.path) continue;
    const dumped = await setup.driver.run(command(["dump", snapshot, entry.path]), repository, {
      collectStdout: true,
    });
    assert.equal(dumped.exitCode, 0, dumped.stderr);
    files.set(entry.path.split("/").pop() ?? "", dumped.stdout);
  }
  return files;
};

const logOf = async (store: ObjectStore, name: string): Promise<string> =>
  gunzipSync(await getBuffer(store, backupKeys(name).logs)).toString("utf8");

const execsOf = (node: NodePlayer, namespace: string, pod?: string) =>
  node.execs.filter((e) => e.namespace === namespace && (pod === undefined || e.pod === pod));

describe("backup exec hooks (harness plays the node)", () => {
  it("Velero's pre/post annotations: the pre hook's file is in the pod's restic backup, the post hook runs after it, hookStatus counts both (harness plays the node)", async () => {
    const setup = await setUp("bh-annot");
    const { cluster, app, node, store, podVolumes } = setup;
    const pre = writeFileCommand("frozen", "/mnt/data/pre-hook.txt");
    const post = writeFileCommand("thawed", "/mnt/data/post-hook.txt");
    const { dir } = await hookedPod(node, cluster, {
      namespace: app,
      name: "db-0",
      annotations: {
        "pre.hook.backup.velero.io/container": "app",
        "pre.hook.backup.velero.io/command": JSON.stringify(pre),
        "pre.hook.backup.velero.io/on-error": "Fail",
        "pre.hook.backup.velero.io/timeout": "1m",
        "post.hook.backup.velero.io/command": JSON.stringify(post),
      },
    });
    await hookedPod(node, cluster, { namespace: app, name: "plain" });

    const name = `bh-${uniqueSuffix()}`;
    const result = await backup({ cluster, store, name, includedNamespaces: [app], podVolumes });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.deepEqual(result.hookStatus, { hooksAttempted: 2, hooksFailed: 0 });
    const written = JSON.parse(
      (await getBuffer(store, backupKeys(name).metadata)).toString("utf8"),
    ) as Backup;
    assert.deepEqual(written.status?.hookStatus, { hooksAttempted: 2 }, "Velero omits a zero hooksFailed");

    // the pre hook ran before restic read the volume, the post hook after
    const files = await snapshotFiles(setup, name, app, "db-0");
    assert.equal(files.get("pre-hook.txt"), "frozen\n");
    assert.equal(files.get("seed.txt"), "seed\n");
    assert.ok(
      !files.has("post-hook.txt"),
      `the post hook ran after the pod volume backup: ${[...files.keys()]}`,
    );
    assert.equal(readFileSync(join(dir, "post-hook.txt"), "utf8"), "thawed\n", "the post hook ran");
    const execs = execsOf(node, app);
    assert.deepEqual(
      execs.map((e) => [e.pod, e.container, e.command, e.exitCode, e.killed]),
      [
        ["db-0", "app", pre, 0, false],
        ["db-0", "app", post, 0, false],
      ],
      "each hook once, in the pod's first container by default; the pod without hooks gets none",
    );
    assert.ok(
      (execs[0]?.finishedAt ?? Infinity) <= (execs[1]?.startedAt ?? 0),
      "pre ended before post began",
    );

    const log = await logOf(store, name);
    assert.match(log, /msg="running exec hook" .*hookPhase=pre .*hookSource=annotation/);
    assert.match(log, /msg="running exec hook" .*hookPhase=post .*hookSource=annotation/);
    assert.match(log, /hookName="<from-annotation>"/);
    const described = describeBackup({
      backup: result.backup,
      results: null,
      volumeInfo: null,
      volumeSnapshots: null,
      podVolumeBackups: null,
      details: false,
    });
    assert.match(described, /\nHooksAttempted: +2\nHooksFailed: +0\n/);
  });

  it("onError Fail fails only that pod's items; a hook past its timeout is killed and counted failed; bad annotations fail their pod; stowage.dev twins work (harness plays the node)", async () => {
    const setup = await setUp("bh-fail");
    const { cluster, app, node, store, podVolumes } = setup;
    await hookedPod(node, cluster, {
      namespace: app,
      name: "bad",
      annotations: {
        "pre.hook.backup.velero.io/command": JSON.stringify(["sh", "-c", "echo not-ready >&2; exit 3"]),
        "post.hook.backup.velero.io/command": JSON.stringify(["true"]),
      },
    });
    await hookedPod(node, cluster, {
      namespace: app,
      name: "slow",
      annotations: {
        "pre.hook.backup.velero.io/command": JSON.stringify(["sleep", "600"]),
        "pre.hook.backup.velero.io/timeout": "2s",
        "pre.hook.backup.velero.io/on-error": "Continue",
      },
    });
    await hookedPod(node, cluster, {
      namespace: app,
      name: "twin",
      annotations: {
        "pre.hook.backup.stowage.dev/command": JSON.stringify(writeFileCommand("twin", "/mnt/data/twin.txt")),
      },
    });
    await hookedPod(node, cluster, {
      namespace: app,
      name: "typo",
      annotations: {
        "pre.hook.backup.velero.io/command": '["sh", "-c", "sync"',
        "pre.hook.backup.velero.io/on-error": "Sometimes",
      },
    });

    const name = `bh-${uniqueSuffix()}`;
    const result = await backup({ cluster, store, name, includedNamespaces: [app], podVolumes });
    assert.equal(result.phase, "PartiallyFailed");
    assert.deepEqual(result.hookStatus, { hooksAttempted: 4, hooksFailed: 3 });
    const pods = (await readJson<Record<string, string[]>>(store, backupKeys(name).resourceList))?.["v1/Pod"];
    assert.deepEqual(
      pods,
      [`${app}/slow`, `${app}/twin`],
      "the pods whose Fail hook failed are not backed up",
    );
    const errors = (result.errors.namespaces?.[app] ?? []).join("\n");
    assert.match(errors, /Error running pre hooks for pod/);
    assert.match(errors, /name: \/bad .*exited with code 3: not-ready/);
    assert.match(
      errors,
      /annotation pre\.hook\.backup\.velero\.io\/command: expected a JSON array of strings/,
    );
    assert.match(
      errors,
      new RegExp(
        `pod ${app}/typo: annotation pre\\.hook\\.backup\\.velero\\.io/on-error: expected "Continue" or "Fail", received "Sometimes"`,
      ),
    );
    // as in Velero, a Continue hook's failure is an error of the run too; its pod is still backed up
    assert.match(errors, /name: \/slow .*timed out after 2s and was stopped/);

    // the slow command was stopped, not left running
    await eventually("the timed-out hook's process is killed", async () =>
      execsOf(node, app, "slow").every((e) => e.killed && e.finishedAt !== undefined),
    );
    assert.equal(execsOf(node, app, "slow").length, 1);
    assert.deepEqual(
      execsOf(node, app, "bad").map((e) => e.exitCode),
      [3],
      "a pod whose pre hook failed gets no post hook (Velero's rule)",
    );
    assert.equal(execsOf(node, app, "typo").length, 0, "a hook whose annotations cannot be read never runs");
    const twin = await snapshotFiles(setup, name, app, "twin");
    assert.equal(twin.get("twin.txt"), "twin\n");
    assert.ok(
      !(await readJson<PodVolumeBackupRecord[]>(store, backupKeys(name).podVolumeBackups))?.some(
        (r) => r.spec.pod.name === "bad",
      ),
      "nor its volumes",
    );
  });

  it("a real Velero 1.18 Backup's spec.hooks runs the same way; annotations win over it per phase (harness plays the node)", async () => {
    const setup = await setUp("bh-spec");
    const { cluster, app, node, store, podVolumes } = setup;
    const veleroBackup = parseYaml(`
apiVersion: velero.io/v1
kind: Backup
metadata:
  name: nightly
  namespace: velero
spec:
  includedNamespaces:
  - ${app}
  ttl: 24h0m0s
  hooks:
    resources:
    - name: freeze-db
      includedNamespaces:
      - ${app}
      includedResources:
      - pods
      excludedResources: []
      labelSelector:
        matchLabels:
          app: db
      pre:
      - exec:
          container: app
          command:
          - sh
          - -c
          - echo frozen > "$0"
          - /mnt/data/pre-hook.txt
          onError: Fail
          timeout: 30s
      post:
      - exec:
          container: app
          command:
          - sh
          - -c
          - echo thawed > "$0"
          - /mnt/data/post-hook.txt
          onError: Continue
          timeout: 10s
`) as { spec: Omit<BackupOptions, "cluster" | "store" | "name"> };
    const db = await hookedPod(node, cluster, { namespace: app, name: "db-0", labels: { app: "db" } });
    const own = await hookedPod(node, cluster, {
      namespace: app,
      name: "db-1",
      labels: { app: "db" },
      annotations: {
        "pre.hook.backup.velero.io/command": JSON.stringify(
          writeFileCommand("annotated", "/mnt/data/pre-hook.txt"),
        ),
      },
    });
    await hookedPod(node, cluster, { namespace: app, name: "web", labels: { app: "web" } });

    const name = `bh-${uniqueSuffix()}`;
    const result = await backup({ ...veleroBackup.spec, cluster, store, name, podVolumes });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.deepEqual(result.hookStatus, { hooksAttempted: 4, hooksFailed: 0 });
    const { excludedResources: _, ...given } = veleroBackup.spec.hooks?.resources?.[0] ?? { name: "" };
    assert.deepEqual(
      result.backup.spec.hooks,
      { resources: [given] },
      "velero-backup.json records the hooks in Velero's shape (empty lists left out)",
    );

    assert.equal((await snapshotFiles(setup, name, app, "db-0")).get("pre-hook.txt"), "frozen\n");
    assert.equal((await snapshotFiles(setup, name, app, "db-1")).get("pre-hook.txt"), "annotated\n");
    assert.ok(
      !(await snapshotFiles(setup, name, app, "web")).has("pre-hook.txt"),
      "the selector leaves web out",
    );
    for (const dir of [db.dir, own.dir])
      assert.equal(readFileSync(join(dir, "post-hook.txt"), "utf8"), "thawed\n");
    assert.equal(execsOf(node, app, "web").length, 0);
    assert.deepEqual(
      execsOf(node, app, "db-1").map((e) => e.command[2]),
      ['echo annotated > "$0"', 'echo thawed > "$0"'],
      "db-1's pre annotation replaces the spec's pre hook; its post hook still comes from the spec",
    );
    const log = await logOf(store, name);
    assert.match(log, /msg="running exec hook" .*hookName=freeze-db .*hookPhase=pre .*hookSource=spec/);
  });

  it("per-pod hooks as functions get the pod and an exec into it; throwing fails the hook (harness plays the node)", async () => {
    const setup = await setUp("bh-fn");
    const { cluster, app, node, store, podVolumes } = setup;
    await hookedPod(node, cluster, { namespace: app, name: "ready", labels: { tier: "db" } });
    await hookedPod(node, cluster, { namespace: app, name: "lagging", labels: { tier: "db" } });
    const seen: string[] = [];
    const name = `bh-${uniqueSuffix()}`;
    const result = await backup({
      cluster,
      store,
      name,
      includedNamespaces: [app],
      podVolumes,
      hooks: {
        resources: [
          {
            name: "as-code",
            labelSelector: "tier=db",
            pre: [
              async ({ pod, exec }) => {
                const podName = pod.metadata?.name ?? "";
                seen.push(`pre ${podName}`);
                const out = await exec(["sh", "-c", `echo lag-${podName}`]);
                if (podName === "lagging") throw new Error(`replica lag too high (${out.stdout.trim()})`);
                await exec(writeFileCommand(`checked-${podName}`, "/mnt/data/fn.txt"));
              },
            ],
            post: [
              async ({ pod, exec }) => {
                seen.push(`post ${pod.metadata?.name}`);
                await exec(["sh", "-c", "exit 7"]);
              },
            ],
          },
        ],
      },
    });
    assert.equal(result.phase, "PartiallyFailed");
    assert.deepEqual(seen.sort(), ["post ready", "pre lagging", "pre ready"]);
    assert.deepEqual(result.hookStatus, { hooksAttempted: 3, hooksFailed: 2 });
    const pods = (await readJson<Record<string, string[]>>(store, backupKeys(name).resourceList))?.["v1/Pod"];
    assert.deepEqual(pods, [`${app}/ready`]);
    const errors = (result.errors.namespaces?.[app] ?? []).join("\n");
    assert.match(errors, /name: \/lagging .*replica lag too high \(lag-lagging\)/);
    assert.match(errors, /Error running post hooks for pod.*exited with code 7/);
    assert.equal((await snapshotFiles(setup, name, app, "ready")).get("fn.txt"), "checked-ready\n");
    assert.deepEqual(
      result.backup.spec.hooks,
      { resources: [{ name: "as-code", labelSelector: { matchLabels: { tier: "db" } } }] },
      "function hooks cannot be recorded; the hook spec is",
    );
  });

  it("with volume snapshots, a pod's pre hook runs before its PV is snapshotted and the post hook after (harness plays the node)", async () => {
    const cluster = await connectTest();
    const app = await makeNamespace(cluster, "bh-snap");
    const node = await harnessNode(cluster);
    const { store } = await tempS3Location();
    const snapshots = tempDir("bh-snapshots");
    const volume = tempDir("bh-volume");
    writeFileSync(join(volume, "seed.txt"), "seed\n");
    const pv = `pv-${app}`;
    onCleanup(() => cluster.delete("persistentvolumes", pv).catch(() => undefined));
    await cluster.create("persistentvolumes", {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: pv },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteOnce"],
        persistentVolumeReclaimPolicy: "Retain",
        storageClassName: "",
        local: { path: volume },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node.name] }] },
            ],
          },
        },
        claimRef: { namespace: app, name: "data" },
      },
    });
    await cluster.create("persistentvolumeclaims", {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data", namespace: app },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "",
        volumeName: pv,
        resources: { requests: { storage: "1Gi" } },
      },
    });
    await eventually("PVC data bound", async () => {
      const pvc = await cluster.get("persistentvolumeclaims", "data", { namespace: app });
      return (pvc.status as { phase?: string } | undefined)?.phase === "Bound";
    });
    const pod = await createRunningPod(
      cluster,
      podOnNode({
        namespace: app,
        name: "db-0",
        node: node.name,
        volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
        annotations: {
          // a pre hook that takes a while (as a flush does): the snapshot must wait for it
          "pre.hook.backup.velero.io/command": JSON.stringify([
            "sh",
            "-c",
            'sleep 2 && echo frozen > "$0"',
            "/mnt/data/pre-hook.txt",
          ]),
          "post.hook.backup.velero.io/command": JSON.stringify(
            writeFileCommand("thawed", "/mnt/data/post-hook.txt"),
          ),
        },
      }),
    );
    // the node mounts the PV's directory where the pod sees it (a kubelet mounts local PVs there)
    const mounted = join(
      node.kubeletDir,
      "pods",
      pod.metadata?.uid ?? "",
      "volumes",
      "kubernetes.io~local-volume",
      pv,
    );
    await rm(mounted, { recursive: true, force: true });
    await symlink(volume, mounted);

    const name = `bh-${uniqueSuffix()}`;
    const result = await backup({
      cluster,
      store,
      name,
      includedNamespaces: [app],
      volumeSnapshotLocations: [{ name: "default", provider: "local", config: { path: snapshots } }],
    });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.deepEqual(result.hookStatus, { hooksAttempted: 2, hooksFailed: 0 });
    const records =
      (await readJson<Array<{ status: { providerSnapshotID?: string } }>>(
        store,
        backupKeys(name).volumeSnapshots,
      )) ?? [];
    assert.equal(records.length, 1);
    const copy = join(snapshots, "snapshots", records[0]?.status.providerSnapshotID ?? "", "data");
    assert.equal(readFileSync(join(copy, "seed.txt"), "utf8"), "seed\n");
    assert.equal(
      readFileSync(join(copy, "pre-hook.txt"), "utf8"),
      "frozen\n",
      "the pre hook ran before the snapshot",
    );
    assert.ok(!existsSync(join(copy, "post-hook.txt")), "the post hook ran after the snapshot");
    assert.equal(readFileSync(join(volume, "post-hook.txt"), "utf8"), "thawed\n");
  });

  it("post hooks run when the pod's volume backup fails, and when the backup is cancelled during a pre hook (harness plays the node)", async () => {
    const setup = await setUp("bh-undo");
    const { cluster, app, node, store, podVolumes } = setup;
    // the pre hook removes the volume's directory, so restic fails on it; the post hook puts it back
    const { dir } = await hookedPod(node, cluster, {
      namespace: app,
      name: "db-0",
      annotations: {
        "pre.hook.backup.velero.io/command": JSON.stringify(["rm", "-rf", "/mnt/data"]),
        "post.hook.backup.velero.io/command": JSON.stringify([
          "sh",
          "-c",
          'mkdir -p "$0" && echo undone > "$0/post-hook.txt"',
          "/mnt/data",
        ]),
      },
    });
    const name = `bh-${uniqueSuffix()}`;
    const result = await backup({ cluster, store, name, includedNamespaces: [app], podVolumes });
    assert.equal(result.phase, "PartiallyFailed");
    assert.match(
      (result.errors.namespaces?.[app] ?? []).join("\n"),
      new RegExp(`pod volume backup failed: pod ${app}/db-0 volume data`),
    );
    assert.deepEqual(result.hookStatus, { hooksAttempted: 2, hooksFailed: 0 });
    assert.equal(readFileSync(join(dir, "post-hook.txt"), "utf8"), "undone\n", "the post hook ran");

    // cancelled while a pre hook runs: the hook is stopped, the post hook still runs, backup() rejects
    const other = await makeNamespace(cluster, "bh-cancel");
    const held = await hookedPod(node, cluster, {
      namespace: other,
      name: "db-0",
      annotations: {
        "pre.hook.backup.velero.io/command": JSON.stringify(["sleep", "600"]),
        "pre.hook.backup.velero.io/timeout": "10m",
        "post.hook.backup.velero.io/command": JSON.stringify(
          writeFileCommand("thawed", "/mnt/data/post-hook.txt"),
        ),
      },
    });
    const controller = new AbortController();
    const running = backup({
      cluster,
      store,
      name: `bh-${uniqueSuffix()}`,
      includedNamespaces: [other],
      podVolumes,
      signal: controller.signal,
    });
    running.catch(() => undefined);
    await eventually("the pre hook is running", async () => execsOf(node, other).length === 1);
    controller.abort(new Error("operator cancelled"));
    await assert.rejects(running);
    await eventually("the cancelled pre hook is killed", async () =>
      execsOf(node, other).some((e) => e.command[0] === "sleep" && e.killed),
    );
    assert.equal(readFileSync(join(held.dir, "post-hook.txt"), "utf8"), "thawed\n", "the post hook ran");
  });

  it("bad hook options are one ValidationError naming each problem, before anything is written", async () => {
    const cluster = await connectTest();
    const { store } = await tempS3Location();
    const name = `bh-${uniqueSuffix()}`;
    const error = await backup({
      cluster,
      store,
      name,
      hooks: {
        resources: [
          {
            name: "",
            pre: [{ exec: { command: [] } }],
          },
          {
            name: "typos",
            includedNamespaces: ["Not_A_Namespace"],
            labelSelector: "app in (",
            post: [
              { exec: { command: ["sync"], onError: "Sometimes" as "Fail", timeout: "soon" } },
              "fsfreeze" as unknown as { exec: { command: string[] } },
            ],
          },
        ],
      },
    }).then(
      () => assert.fail("the backup ran"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ValidationError, String(error));
    const problems = error.problems.join("\n");
    assert.match(problems, /hooks\.resources\[0\]\.name: expected a name/);
    assert.match(
      problems,
      /hooks\.resources\[0\]\.pre\[0\]\.exec\.command: expected a non-empty list of strings/,
    );
    assert.match(
      problems,
      /hooks\.resources\[1\] \(typos\): includedNamespaces: "Not_A_Namespace" is not a valid namespace name/,
    );
    assert.match(problems, /hooks\.resources\[1\] \(typos\)\.labelSelector/);
    assert.match(
      problems,
      /hooks\.resources\[1\] \(typos\)\.post\[0\]\.exec\.onError: expected "Continue" or "Fail", received "Sometimes"/,
    );
    assert.match(
      problems,
      /hooks\.resources\[1\] \(typos\)\.post\[0\]\.exec\.timeout: expected a duration like "30s".*received "soon"/,
    );
    assert.match(
      problems,
      /hooks\.resources\[1\] \(typos\)\.post\[1\]: expected \{ exec: \{ command: \[\.\.\.\] \} \} or a function/,
    );
    assert.equal(await store.exists(backupKeys(name).metadata), false);
  });
});
