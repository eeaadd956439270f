/**
 * `npm run bench -- --restic`: the overhead of the Kubernetes Job path against bare restic on the same
 * data. Each round backs up one pod volume (a 100 MB random file and 1500 small files, as the acceptance
 * test) into a fresh repository on MinIO, and restores it into a fresh volume, twice: with bare restic
 * (the local driver: one restic process, the same flags the Job uses) and through the Job driver (a Job
 * pinned to the node, created through the real apiserver and completed by the real Job controller; the
 * harness plays the node and runs the Job's container as a local process — no image pull, no container
 * start, which a real node adds). The order alternates between rounds; medians and paired ratios are
 * reported, and the JSON goes to `<out>/restic-<time>.json`.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { connect } from "../../lib/index.ts";
import { repositoryAddress, resticBackend } from "../../lib/podvolume/backend.ts";
import { jobDriver } from "../../lib/podvolume/job-driver.ts";
import { RepositoryKey, STOWAGE_KEY_SECRET, storeRepositoryKey } from "../../lib/podvolume/keys.ts";
import { localDriver } from "../../lib/podvolume/local-driver.ts";
import { makeTree } from "../../test/podvolume/tree.ts";
import { componentPaths, repoRoot } from "../../test/support/binaries.ts";
import { minioClientConfig } from "../../test/support/minio.ts";
import { createRunningPod, podOnNode, startNodePlayer } from "../../test/support/node-player.ts";
import { median } from "./stats.ts";

const IMAGE = "stowage:bench";

/** Bare restic; the Job driver as configured by default (polls the Job every second); polling every 250 ms. */
type Path = "bare" | "job" | "job-250ms";
const PATHS: readonly Path[] = ["bare", "job", "job-250ms"];

/** Options of {@link runResticBench}. */
export interface ResticBenchOptions {
  readonly kubeconfig: string;
  readonly minio: {
    readonly endpoint: string;
    readonly accessKey: string;
    readonly secretKey: string;
    readonly region: string;
  };
  /** @default 3 */
  readonly rounds?: number;
  /** @default `<repo>/bench-results` */
  readonly outDir?: string;
  /** Size of the big file. @default 104857600 (100 MB) */
  readonly bigFileBytes?: number;
  /** @default 1500 */
  readonly smallFiles?: number;
}

/** One timed operation. */
interface ResticSample {
  readonly round: number;
  readonly path: Path;
  readonly operation: "backup" | "restore";
  readonly durationMs: number;
}

const timed = async (run: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await run();
  return performance.now() - start;
};

/** Runs the restic bench; returns the printed table and the JSON file written. */
export const runResticBench = async (
  options: ResticBenchOptions,
): Promise<{ table: string; file: string }> => {
  const rounds = options.rounds ?? 3;
  const cluster = await connect({ kubeconfig: options.kubeconfig });
  const suffix = Date.now().toString(36);
  const system = `bench-restic-${suffix}`;
  const app = `bench-app-${suffix}`;
  for (const name of [system, app]) {
    await cluster.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    while (!(await cluster.tryGet("serviceaccounts", "default", { namespace: name }))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const restic = componentPaths().RESTIC;
  const kubeletDir = await mkdtemp(join(tmpdir(), "stowage-bench-kubelet-"));
  const node = await startNodePlayer({ cluster, kubeletDir, runImages: [IMAGE], path: [dirname(restic)] });
  const bucket = `bench-restic-${suffix}`;
  const s3 = new S3Client(minioClientConfig({ ...options.minio, region: "us-east-1" }));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  const backend = await resticBackend({
    s3: {
      bucket,
      prefix: "velero",
      endpoint: options.minio.endpoint,
      region: options.minio.region,
      forcePathStyle: true,
      credentials: { accessKeyId: options.minio.accessKey, secretAccessKey: options.minio.secretKey },
    },
  });
  const bare = localDriver({ resticPath: restic, cacheDir: false });
  const jobs = {
    job: jobDriver({ cluster, namespace: system, image: IMAGE }),
    "job-250ms": jobDriver({ cluster, namespace: system, image: IMAGE, pollIntervalMs: 250 }),
  };
  const samples: ResticSample[] = [];
  try {
    const source = await createRunningPod(
      cluster,
      podOnNode({ namespace: app, name: "source", node: node.name }),
    );
    const sourceUid = source.metadata?.uid ?? "";
    const sourceDir = node.emptyDir(sourceUid, "data");
    await makeTree(sourceDir, {
      ...(options.bigFileBytes ? { bigFileBytes: options.bigFileBytes } : {}),
      ...(options.smallFiles ? { smallFiles: options.smallFiles } : {}),
    });
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? PATHS : [...PATHS].reverse();
      for (const path of order) {
        const repoNamespace = `${path}-r${round}`;
        const password = `bench-key-${suffix}-${repoNamespace}`;
        const key =
          path !== "bare"
            ? await storeRepositoryKey(cluster, repoNamespace, password, { credentialsNamespace: system })
            : new RepositoryKey(
                { secretNamespace: system, secretName: STOWAGE_KEY_SECRET, secretKey: repoNamespace },
                password,
              );
        const repository = { address: repositoryAddress(backend, repoNamespace), key };
        await bare.ensureRepository(repository); // created outside the timing, the same way for both paths
        const target = await createRunningPod(
          cluster,
          podOnNode({ namespace: app, name: `target-${path}-${round}`, node: node.name }),
        );
        const targetUid = target.metadata?.uid ?? "";
        let snapshotId = "";
        const backupMs = await timed(async () => {
          const outcome =
            path === "bare"
              ? await bare.backupDirectory({ repository, directory: sourceDir })
              : await jobs[path].backupVolume({
                  repository,
                  volume: { node: node.name, podUid: sourceUid, volumeDir: "data" },
                  tags: {},
                });
          snapshotId = outcome.snapshotId;
        });
        const restoreMs = await timed(() =>
          path === "bare"
            ? bare.restoreDirectory({ repository, directory: node.emptyDir(targetUid, "data"), snapshotId })
            : jobs[path].restoreVolume({
                repository,
                volume: { node: node.name, podUid: targetUid, volumeDir: "data" },
                snapshotId,
              }),
        );
        samples.push({ round, path, operation: "backup", durationMs: backupMs });
        samples.push({ round, path, operation: "restore", durationMs: restoreMs });
        rmSync(node.emptyDir(targetUid, "data"), { recursive: true, force: true });
        process.stderr.write(
          `restic bench round ${round}/${rounds} ${path}: backup ${(backupMs / 1000).toFixed(2)} s, restore ${(restoreMs / 1000).toFixed(2)} s\n`,
        );
      }
    }
  } finally {
    await node.stop();
    for (const name of [app, system]) await cluster.delete("namespaces", name).catch(() => undefined);
    cluster.close();
    rmSync(kubeletDir, { recursive: true, force: true });
  }

  const rows = (["backup", "restore"] as const).flatMap((operation) => {
    const pick = (round: number, path: Path) =>
      samples.find((s) => s.round === round && s.operation === operation && s.path === path)?.durationMs ??
      Number.NaN;
    const roundsSeen = [...new Set(samples.map((s) => s.round))];
    const bareMs = median(roundsSeen.map((r) => pick(r, "bare")));
    return (["job", "job-250ms"] as const).map((path) => ({
      operation,
      path,
      bareMs,
      jobMs: median(roundsSeen.map((r) => pick(r, path))),
      ratio: median(roundsSeen.map((r) => pick(r, path) / pick(r, "bare"))),
      overheadMs: median(roundsSeen.map((r) => pick(r, path) - pick(r, "bare"))),
    }));
  });
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const table = [
    "restic on the same data (100 MB random file + 1500 small files), medians of paired rounds:",
    "operation  path               bare restic  Job path  Job/bare  Job overhead",
    ...rows.map(
      (r) =>
        `${r.operation.padEnd(9)}  ${(r.path === "job" ? "Job (1 s poll)" : "Job (250 ms poll)").padEnd(17)}  ${seconds(r.bareMs).padStart(11)}  ${seconds(r.jobMs).padStart(8)}  ${`${r.ratio.toFixed(2)}x`.padStart(8)}  ${`+${seconds(r.overheadMs)}`.padStart(12)}`,
    ),
  ].join("\n");
  const outDir = options.outDir ?? join(repoRoot, "bench-results");
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `restic-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ rounds, summary: rows, samples }, null, 2)}\n`);
  return { table, file };
};
