import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, fsStore, s3Store, storeFromEnv } from "../../lib/index.ts";
import { repositoryAddress, resticBackend } from "../../lib/podvolume/backend.ts";
import {
  backupCommand,
  checkCommand,
  forgetCommand,
  initCommand,
  probeCommand,
  restoreCommand,
  snapshotsCommand,
} from "../../lib/podvolume/commands.ts";
import { buildResticJob, VOLUMES_MOUNT } from "../../lib/podvolume/job-spec.ts";
import { lastSummary, redact, resticError, resticMessage } from "../../lib/podvolume/output.ts";

const s3 = repositoryAddress(
  {
    type: "s3",
    bucket: "backups",
    prefix: "/prod/",
    endpoint: "http://minio:9000/",
    region: "eu-west-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "s3cr3t-value" },
  },
  "shop",
);
const local = repositoryAddress({ type: "local", path: "/var/backups/" }, "shop");

describe("restic repository addresses", () => {
  const table: Array<
    [string, Parameters<typeof repositoryAddress>[0], string, Record<string, string>, string[]]
  > = [
    ["local directory", { type: "local", path: "/srv/bsl" }, "/srv/bsl/restic/shop", {}, []],
    [
      "S3-compatible, path style",
      { type: "s3", bucket: "b", prefix: "p/q", endpoint: "http://127.0.0.1:9000", forcePathStyle: true },
      "s3:http://127.0.0.1:9000/b/p/q/restic/shop",
      { AWS_DEFAULT_REGION: "us-east-1" },
      ["-o", "s3.bucket-lookup=path"],
    ],
    [
      "AWS, no prefix",
      { type: "s3", bucket: "b", region: "eu-central-1" },
      "s3:s3.eu-central-1.amazonaws.com/b/restic/shop",
      { AWS_DEFAULT_REGION: "eu-central-1" },
      [],
    ],
    [
      "insecure TLS",
      { type: "s3", bucket: "b", endpoint: "https://ceph:7480", insecureSkipTLSVerify: true },
      "s3:https://ceph:7480/b/restic/shop",
      { AWS_DEFAULT_REGION: "us-east-1" },
      ["--insecure-tls"],
    ],
  ];
  for (const [name, backend, url, env, globalArgs] of table) {
    it(name, () => {
      const address = repositoryAddress(backend, "shop");
      assert.equal(address.url, url);
      assert.deepEqual(address.env, env);
      assert.deepEqual(address.globalArgs, globalArgs);
      assert.deepEqual(address.secretEnv, {});
    });
  }

  it("keeps S3 keys in secretEnv only, out of URL, env and arguments", () => {
    assert.equal(s3.url, "s3:http://minio:9000/backups/prod/restic/shop");
    assert.deepEqual(s3.secretEnv, {
      AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "s3cr3t-value",
    });
    const everything = JSON.stringify([
      s3.url,
      s3.env,
      s3.globalArgs,
      backupCommand(s3, { directory: "/d" }),
    ]);
    assert.ok(!everything.includes("s3cr3t-value"));
    assert.equal(local.url, "/var/backups/restic/shop");
  });

  it("refuses a namespace that is not a DNS label", () => {
    assert.throws(() => repositoryAddress({ type: "local", path: "/x" }, "../etc"), /DNS-1123 label/);
  });

  it("derives backends from a directory store, s3Store options and backup locations", async () => {
    assert.deepEqual(await resticBackend({ store: fsStore("/srv/bsl", { prefix: "team" }) }), {
      type: "local",
      path: "/srv/bsl/team",
    });
    assert.deepEqual(
      await resticBackend({
        s3: {
          bucket: "b",
          prefix: "p",
          endpoint: "http://m:9000",
          region: "r1",
          forcePathStyle: true,
          credentials: { accessKeyId: "a", secretAccessKey: "s" },
        },
      }),
      {
        type: "s3",
        bucket: "b",
        prefix: "p",
        endpoint: "http://m:9000",
        region: "r1",
        forcePathStyle: true,
        credentials: { accessKeyId: "a", secretAccessKey: "s" },
      },
    );
    assert.deepEqual(
      await resticBackend({
        location: {
          provider: "aws",
          bucket: "b",
          prefix: "v",
          config: { s3Url: "http://m:9000", region: "r2", s3ForcePathStyle: "true" },
        },
      }),
      { type: "s3", bucket: "b", prefix: "v", endpoint: "http://m:9000", region: "r2", forcePathStyle: true },
    );
    assert.deepEqual(await resticBackend({ location: { provider: "file", bucket: "/srv/x", prefix: "p" } }), {
      type: "local",
      path: "/srv/x/p",
    });
    // an s3Store (storeFromEnv's too) carries the options it was made with
    assert.deepEqual(
      await resticBackend({
        store: s3Store({
          bucket: "b",
          prefix: "/q/",
          region: "r",
          endpoint: "http://m:9000",
          forcePathStyle: true,
        }),
      }),
      { type: "s3", bucket: "b", prefix: "q", endpoint: "http://m:9000", region: "r", forcePathStyle: true },
    );
    assert.deepEqual(
      await resticBackend({
        store: storeFromEnv({
          STOWAGE_STORE: "s3://bk/prod",
          STOWAGE_S3_ENDPOINT: "http://m:9000",
          STOWAGE_REGION: "eu",
        }),
      }),
      {
        type: "s3",
        bucket: "bk",
        prefix: "prod",
        endpoint: "http://m:9000",
        region: "eu",
        forcePathStyle: true,
      },
    );
    // any other store does not say how restic reaches it
    const wrapped = { ...s3Store({ bucket: "b", region: "r" }) };
    await assert.rejects(
      resticBackend({ store: wrapped }),
      (error: unknown) =>
        error instanceof ConfigError && /pass \{ s3: <the s3Store options> \}/.test(error.message),
    );
  });
});

describe("restic command builders", () => {
  const table: Array<[string, ReturnType<typeof initCommand>, string[], string | undefined]> = [
    ["init", initCommand(s3), ["-o", "s3.bucket-lookup=path", "init", "--json"], undefined],
    ["probe", probeCommand(local), ["cat", "config", "--json"], undefined],
    [
      "backup with tags (sorted) and host",
      backupCommand(local, {
        directory: "/vol",
        tags: { volume: "data", backup: "b1", ns: "shop" },
        cacheDir: false,
      }),
      [
        "--no-cache",
        "backup",
        "--json",
        "--host",
        "velero",
        "--tag",
        "backup=b1",
        "--tag",
        "ns=shop",
        "--tag",
        "volume=data",
        ".",
      ],
      "/vol",
    ],
    [
      "backup with another host and a parent",
      backupCommand(local, { directory: "/vol", host: "node-1", parent: "abc", cacheDir: "/cache" }),
      ["--cache-dir", "/cache", "backup", "--json", "--host", "node-1", "--parent", "abc", "."],
      "/vol",
    ],
    [
      "restore into the working directory",
      restoreCommand(local, { directory: "/target", snapshotId: "98d63bee" }),
      ["restore", "98d63bee", "--target", ".", "--json"],
      "/target",
    ],
    [
      "snapshots by tags and host",
      snapshotsCommand(local, { tags: { pod: "p", backup: "b1" }, host: "velero" }),
      ["snapshots", "--json", "--tag", "backup=b1,pod=p", "--host", "velero"],
      undefined,
    ],
    ["snapshots, all", snapshotsCommand(local), ["snapshots", "--json"], undefined],
    [
      "forget with prune",
      forgetCommand(local, { snapshotIds: ["a1", "b2"], prune: true }),
      ["forget", "--json", "a1", "b2", "--prune"],
      undefined,
    ],
    [
      "check, reading data",
      checkCommand(local, { readData: true }),
      ["check", "--json", "--read-data"],
      undefined,
    ],
  ];
  for (const [name, command, args, cwd] of table) {
    it(name, () => {
      assert.deepEqual(command.args, args);
      assert.equal(command.cwd, cwd);
      assert.equal(command.namespace, "shop");
      assert.equal(
        command.env.RESTIC_REPOSITORY,
        command.args.includes("s3.bucket-lookup=path") ? s3.url : local.url,
      );
      assert.ok(!("RESTIC_PASSWORD" in command.env) && !("RESTIC_PASSWORD_FILE" in command.env));
    });
  }
});

describe("restic output and errors", () => {
  it("finds the summary among status lines and text", () => {
    const out = [
      "loading indexes...",
      '{"message_type":"status","percent_done":0.5,"total_bytes":10,"bytes_done":5}',
      '{"message_type":"summary","snapshot_id":"abc","data_added":3}',
      "",
    ].join("\n");
    assert.deepEqual(lastSummary(out), { message_type: "summary", snapshot_id: "abc", data_added: 3 });
    assert.equal(lastSummary("no json"), undefined);
  });

  const codes: Array<[number, string, RegExp]> = [
    [
      12,
      "wrong-key",
      /^wrong repository key for namespace shop: the key in Secret v\/k\[shop\] does not open the repository at \/r/,
    ],
    [10, "no-repository", /^no restic repository for namespace shop at \/r: initialise it/],
    [11, "locked", /locked by another restic process/],
    [130, "interrupted", /was interrupted/],
    [1, "failed", /^restic backup for namespace shop failed \(exit code 1\) against \/r: Fatal: boom/],
  ];
  for (const [code, failure, message] of codes) {
    it(`maps exit code ${code} to ${failure}`, () => {
      const stderr = '{"message_type":"exit_error","code":1,"message":"Fatal: boom"}\n';
      const error = resticError({ operation: "backup", namespace: "shop" }, code, stderr, {
        repository: "/r",
        keySource: "Secret v/k[shop]",
      });
      assert.equal(error.failure, failure);
      assert.equal(error.exitCode, code);
      assert.match(error.message, message);
    });
  }

  it("reads restic's words from JSON errors or plain text, and redacts secrets", () => {
    assert.equal(
      resticMessage('{"message_type":"exit_error","code":12,"message":"Fatal: wrong password"}'),
      "Fatal: wrong password",
    );
    assert.equal(
      resticMessage(
        '{"message_type":"error","error":{"message":"permission denied"},"during":"archival","item":"/x"}',
      ),
      "/x: permission denied",
    );
    assert.equal(resticMessage("plain\n"), "plain");
    assert.equal(redact("key=hunter22 again hunter22", ["hunter22"]), "key=[redacted] again [redacted]");
  });
});

describe("restic Job spec", () => {
  it("pins the Job to the pod's node, mounts the pod's volumes read-only for a backup and takes the key by reference", () => {
    const command = backupCommand(s3, { directory: ".", cacheDir: false, tags: { backup: "b1" } });
    const job = buildResticJob({
      op: "backup",
      namespace: "velero",
      image: "stowage:0.1.0",
      node: "node-1",
      volume: { podUid: "uid-1", volumeDir: "pv-1/mount" },
      kubeletRootDir: "/var/lib/kubelet/",
      args: command.args,
      env: command.env,
      key: { secretNamespace: "velero", secretName: "stowage-repo-credentials", secretKey: "shop" },
      backendSecret: {
        name: "stowage-restic-backend-x",
        keys: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
      },
      labels: { "velero.io/backup-name": "b1" },
      activeDeadlineSeconds: 600,
      privileged: false,
    });
    const spec = job.spec as {
      backoffLimit: number;
      activeDeadlineSeconds: number;
      template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } };
    };
    const pod = spec.template.spec;
    const container = pod.containers[0]!;
    assert.equal(spec.backoffLimit, 0);
    assert.equal(spec.activeDeadlineSeconds, 600);
    assert.equal(pod.nodeName, "node-1");
    assert.equal(pod.restartPolicy, "Never");
    assert.deepEqual(pod.volumes, [
      { name: "pod-volumes", hostPath: { path: "/var/lib/kubelet/pods/uid-1/volumes", type: "Directory" } },
    ]);
    assert.deepEqual(container.volumeMounts, [
      { name: "pod-volumes", mountPath: VOLUMES_MOUNT, readOnly: true },
    ]);
    assert.deepEqual((container.command as string[]).slice(0, 2), ["/bin/sh", "-c"]);
    assert.deepEqual((container.command as string[]).slice(3), ["stowage-restic", ...command.args]);
    assert.equal(container.terminationMessagePath, "/dev/termination-log");
    const env = container.env as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    assert.deepEqual(
      env.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom]),
      [
        ["RESTIC_PASSWORD", { secretKeyRef: { name: "stowage-repo-credentials", key: "shop" } }],
        [
          "AWS_ACCESS_KEY_ID",
          { secretKeyRef: { name: "stowage-restic-backend-x", key: "AWS_ACCESS_KEY_ID" } },
        ],
        [
          "AWS_SECRET_ACCESS_KEY",
          { secretKeyRef: { name: "stowage-restic-backend-x", key: "AWS_SECRET_ACCESS_KEY" } },
        ],
      ],
    );
    assert.deepEqual(
      Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value])),
      {
        STOWAGE_OP: "backup",
        STOWAGE_RESULT: "/dev/termination-log",
        RESTIC_REPOSITORY: s3.url,
        AWS_DEFAULT_REGION: "eu-west-1",
        STOWAGE_VOLUMES: VOLUMES_MOUNT,
        STOWAGE_HOST_VOLUMES: "/var/lib/kubelet/pods/uid-1/volumes",
        STOWAGE_VOLUME_DIR: "pv-1/mount",
      },
    );
    assert.ok(!JSON.stringify(job).includes("s3cr3t-value"), "no credential in the Job");
    const restoreJob = buildResticJob({
      op: "restore",
      namespace: "velero",
      image: "i",
      node: "node-1",
      volume: { podUid: "uid-1", volumeDir: "data" },
      kubeletRootDir: "/var/lib/kubelet",
      args: [],
      env: {},
      key: { secretNamespace: "velero", secretName: "k", secretKey: "shop" },
      marker: "restore-uid",
      labels: {},
      activeDeadlineSeconds: 1,
      privileged: false,
    });
    const restoreContainer = (restoreJob.spec as typeof spec).template.spec.containers[0]!;
    assert.deepEqual(restoreContainer.volumeMounts, [
      { name: "pod-volumes", mountPath: VOLUMES_MOUNT, readOnly: false },
    ]);
    assert.ok(
      (restoreContainer.env as Array<{ name: string; value?: string }>).some(
        (e) => e.name === "STOWAGE_MARKER" && e.value === "restore-uid",
      ),
    );
  });
});
