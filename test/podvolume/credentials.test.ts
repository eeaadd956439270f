import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { backup, type Cluster, type KubeObject } from "../../lib/index.ts";
import { type ResticBackend, repositoryAddress } from "../../lib/podvolume/backend.ts";
import { jobDriver } from "../../lib/podvolume/job-driver.ts";
import { generateKey, STOWAGE_KEY_SECRET, storeRepositoryKey } from "../../lib/podvolume/keys.ts";
import { createRepositoryOpener } from "../../lib/podvolume/repository.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace, uniqueSuffix } from "../support/kube.ts";
import { createRunningPod, podOnNode } from "../support/node-player.ts";
import { harnessNode, IMAGE, tempS3Location } from "./support.ts";
import { makeTree } from "./tree.ts";

const PREFIX = "stowage-restic-backend-";

/** Polls `probe` every 250 ms for up to `seconds` (generous: the machine is shared). */
const within = async <T>(seconds: number, what: string, probe: () => Promise<T | undefined | false>) => {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await sleep(250);
  }
};

const backendSecrets = async (cluster: Cluster, namespace: string): Promise<KubeObject[]> =>
  (await cluster.list("secrets", { namespace })).filter((s) => s.metadata?.name?.startsWith(PREFIX));

/** The Secret a Job's container takes `AWS_ACCESS_KEY_ID` from. */
const secretOfJob = (job: KubeObject): string => {
  const containers = (
    job.spec as {
      template: {
        spec: {
          containers: Array<{
            env: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string } } }>;
          }>;
        };
      };
    }
  ).template.spec.containers;
  const name = containers[0]?.env.find((e) => e.name === "AWS_ACCESS_KEY_ID")?.valueFrom?.secretKeyRef?.name;
  assert.ok(name, `Job ${job.metadata?.name} takes AWS_ACCESS_KEY_ID from a Secret`);
  return name;
};

const decoded = (secret: KubeObject, field: string): string =>
  Buffer.from((secret.data as Record<string, string>)[field] ?? "", "base64").toString("utf8");

/** Jobs of `namespace`, oldest first. */
const jobsOf = async (cluster: Cluster, namespace: string): Promise<KubeObject[]> =>
  (await cluster.list("jobs.batch", { namespace })).sort((a, b) =>
    String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)),
  );

describe("restic Jobs' backend credentials (harness plays the node)", () => {
  it("each Job's S3 keys are in a Secret of its own, owned by the Job, which the garbage collector deletes with the Job (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const node = await harnessNode(cluster);
    const { backend } = await tempS3Location();
    const driver = jobDriver({
      cluster,
      namespace: system,
      image: IMAGE,
      pollIntervalMs: 200,
      timeoutMs: 120_000,
      keepJobs: true,
    });
    const opener = createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    });
    await opener.open(app, node.name);

    const [job] = await jobsOf(cluster, system);
    assert.ok(job, "the ensure Job is kept (keepJobs)");
    const secret = await cluster.get("secrets", secretOfJob(job), { namespace: system });
    assert.ok(secret.metadata?.name?.startsWith(PREFIX));
    assert.deepEqual(
      secret.metadata?.ownerReferences?.map((o) => [o.apiVersion, o.kind, o.name, o.uid]),
      [["batch/v1", "Job", job.metadata?.name, job.metadata?.uid]],
      "the Secret is owned by its Job",
    );
    const env = await testEnv();
    assert.equal(decoded(secret, "AWS_ACCESS_KEY_ID"), env.minio.accessKey);

    // whoever deletes the Job (a person, its TTL), the kube-controller-manager's garbage collector
    // deletes its Secret
    await cluster.delete("jobs.batch", job.metadata?.name ?? "", {
      namespace: system,
      propagationPolicy: "Background",
    });
    await within(180, "the garbage collector to delete the Job's Secret", async () => {
      return (await backendSecrets(cluster, system)).length === 0;
    });
  });

  it("no backend Secret remains once a backup with pod volumes completed (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const node = await harnessNode(cluster);
    const { store, backend } = await tempS3Location();
    const pod = await createRunningPod(
      cluster,
      podOnNode({
        namespace: app,
        name: "web",
        node: node.name,
        annotations: { "backup.velero.io/backup-volumes": "data" },
      }),
    );
    await makeTree(node.emptyDir(pod.metadata?.uid ?? "", "data"), { bigFileBytes: 1024, smallFiles: 5 });
    const name = `pv-${uniqueSuffix()}`;
    const result = await backup({
      cluster,
      store,
      name,
      includedNamespaces: [app],
      podVolumes: {
        driver: jobDriver({
          cluster,
          namespace: system,
          image: IMAGE,
          pollIntervalMs: 200,
          timeoutMs: 120_000,
        }),
        backend,
        credentialsNamespace: system,
      },
    });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    const executed = node.executed.filter((e) => e.namespace === system).map((e) => e.exitCode);
    assert.deepEqual(executed, [0, 0], "an ensure Job and a backup Job ran, each with S3 keys");
    assert.deepEqual(
      (await backendSecrets(cluster, system)).map((s) => s.metadata?.name),
      [],
      "Stowage deleted each Job's Secret with the Job",
    );
  });

  it("the backend Secrets older versions shared between Jobs and never deleted are deleted, unless a Job still uses one (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const node = await harnessNode(cluster);
    const { backend } = await tempS3Location();
    const legacy = (name: string): KubeObject => ({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name, namespace: system, labels: { "app.kubernetes.io/managed-by": "stowage" } },
      stringData: { AWS_ACCESS_KEY_ID: "old", AWS_SECRET_ACCESS_KEY: "old" },
    });
    await cluster.create("secrets", legacy(`${PREFIX}0123456789ab`));
    await cluster.create("secrets", legacy(`${PREFIX}ba9876543210`));
    // a Job an older Stowage still runs (suspended here, so it never starts) takes its keys from the second
    await cluster.create("jobs.batch", {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "older-stowage", namespace: system },
      spec: {
        suspend: true,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [
              {
                name: "restic",
                image: IMAGE,
                env: [
                  {
                    name: "AWS_ACCESS_KEY_ID",
                    valueFrom: { secretKeyRef: { name: `${PREFIX}ba9876543210`, key: "AWS_ACCESS_KEY_ID" } },
                  },
                ],
              },
            ],
          },
        },
      },
    });
    const driver = jobDriver({
      cluster,
      namespace: system,
      image: IMAGE,
      pollIntervalMs: 200,
      timeoutMs: 120_000,
    });
    await createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    }).open(app, node.name);
    const names = (await cluster.list("secrets", { namespace: system })).map((s) => s.metadata?.name).sort();
    assert.deepEqual(names, [STOWAGE_KEY_SECRET, `${PREFIX}ba9876543210`]);
  });

  it("credentials forwarded from this process are resolved for each Job: rotated keys reach the next Job (harness plays the node)", async () => {
    const cluster = await connectTest();
    const system = await makeNamespace(cluster, "pv-system");
    const app = await makeNamespace(cluster, "pv-app");
    const node = await harnessNode(cluster);
    // moto's S3 takes any key, so both runs succeed and only the keys the Jobs got differ
    const { moto } = await testEnv();
    const bucket = `stowage-pv-${uniqueSuffix()}`;
    const client = new S3Client({
      endpoint: moto.endpoint,
      region: moto.region,
      forcePathStyle: true,
      credentials: moto.credentials,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    // no static keys: the Jobs get the ones the AWS SDK's chain resolves in this process (its environment)
    const backend: ResticBackend = {
      type: "s3",
      bucket,
      prefix: "velero",
      endpoint: moto.endpoint,
      region: moto.region,
      forcePathStyle: true,
    };
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    onCleanup(() => {
      for (const [name, value] of [
        ["AWS_ACCESS_KEY_ID", saved.id],
        ["AWS_SECRET_ACCESS_KEY", saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    const driver = jobDriver({
      cluster,
      namespace: system,
      image: IMAGE,
      pollIntervalMs: 200,
      timeoutMs: 120_000,
      keepJobs: true,
    });
    const repository = {
      address: repositoryAddress(backend, app),
      key: await storeRepositoryKey(cluster, app, generateKey(64), { credentialsNamespace: system }),
    };

    process.env.AWS_ACCESS_KEY_ID = "AKIAFIRSTKEY00000001";
    process.env.AWS_SECRET_ACCESS_KEY = "first-secret";
    assert.deepEqual(await driver.ensureRepository(repository, { node: node.name }), { created: true });
    // the keys were rotated (as web identity credentials expire): the same driver's next Job carries the new ones
    process.env.AWS_ACCESS_KEY_ID = "AKIASECONDKEY0000002";
    process.env.AWS_SECRET_ACCESS_KEY = "second-secret";
    assert.deepEqual(await driver.ensureRepository(repository, { node: node.name }), { created: false });

    const keys = [];
    for (const job of await jobsOf(cluster, system)) {
      const secret = await cluster.get("secrets", secretOfJob(job), { namespace: system });
      keys.push([decoded(secret, "AWS_ACCESS_KEY_ID"), decoded(secret, "AWS_SECRET_ACCESS_KEY")]);
    }
    assert.deepEqual(keys, [
      ["AKIAFIRSTKEY00000001", "first-secret"],
      ["AKIASECONDKEY0000002", "second-secret"],
    ]);
  });
});
