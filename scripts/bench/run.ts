/**
 * The bench's main function, {@link runBench}: seeds a population into an existing cluster, measures
 * backup vs raw LIST and restore vs raw create in alternating rounds (every operation in its own
 * worker process), and writes JSON + an SVG chart. `scripts/bench.ts` wraps it with an environment of
 * its own; `test/bench/smoke.test.ts` runs it against the shared test environment.
 */
import { randomBytes } from "node:crypto";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { type Cluster, connect } from "stowage";
import { repoRoot } from "../../test/support/binaries.ts";
import { runWorker } from "./child.ts";
import { CRD_NAME } from "./population.ts";
import { createProgress } from "./progress.ts";
import { formatTable, type Goal, goals, type Ratios, ratios } from "./report.ts";
import { runnerMemoryEnv } from "./runner-env.ts";
import { createNamespaces, deleteNamespaces, ensureCrd, seed, settle } from "./seed.ts";
import { type QuietOptions, waitForQuiet } from "./server-cpu.ts";
import { summarise, type VariantSummary } from "./stats.ts";
import { type ChartPoint, renderChart } from "./svg.ts";
import type { MinioTarget, Sample, StoreTarget, Variant, WorkerRequest } from "./types.ts";

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** kubeconfig path of the cluster to seed and measure (a throwaway one: it creates and deletes namespaces). */
  readonly kubeconfig: string;
  /** MinIO (or another S3-compatible server) for the s3Store variant; a bucket is created on it. */
  readonly minio: MinioTarget;
  /** Objects seeded (namespaces not counted). @default 10000 */
  readonly objects?: number;
  /** Namespaces they are spread over. @default 20 */
  readonly namespaces?: number;
  /** Alternating rounds. @default 3 */
  readonly rounds?: number;
  /** Where JSON and SVG go. @default `<repo>/bench-results` */
  readonly outDir?: string;
  /**
   * Show progress on stderr: a self-overwriting line on a TTY, plain lines otherwise.
   * @default true
   */
  readonly progress?: boolean;
  /** Write a CPU profile of every worker into `<outDir>/profiles` (`node --cpu-prof`). @default false */
  readonly cpuProfile?: boolean;
  /** Skip the restore variants. @default false */
  readonly backupOnly?: boolean;
  /**
   * Process ids of the control plane; the CPU time of those that are kube-apiserver or etcd is reported
   * per operation (Linux).
   * @default none: server CPU is not reported
   */
  readonly serverPids?: readonly number[];
  /**
   * How quiet the control plane must be before each operation (see `waitForQuiet`).
   * @default 20% of a core over 3 s, waiting at most 2 min
   */
  readonly quiet?: QuietOptions;
  /** Aborts between operations. */
  readonly signal?: AbortSignal;
}

/** What {@link runBench} returns and writes as JSON. */
export interface BenchResult {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationS: number;
  readonly config: {
    readonly objects: number;
    readonly namespaces: number;
    readonly rounds: number;
    readonly listConcurrency: number;
    readonly pageSize: number;
    readonly createConcurrency: number;
  };
  readonly machine: { readonly cpus: number; readonly node: string; readonly platform: string };
  /** Items in the seeded namespaces once the controllers settled (ReplicaSets, EndpointSlices, … included). */
  readonly itemsInNamespaces: number;
  /** Peak RSS of a worker that only connects (the floor under every RSS figure). */
  readonly idleWorkerRssMb: number;
  readonly samples: readonly Sample[];
  readonly summary: readonly VariantSummary[];
  readonly ratios: Ratios;
  readonly goals: readonly Goal[];
  readonly table: string;
  readonly files: { readonly json: string; readonly svg: string };
}

const BACKUP_VARIANTS: readonly Variant[] = [
  "raw-list",
  "backup-fs",
  "backup-fs-1-action",
  "backup-fs-10-actions",
  "backup-s3",
  "raw-list-runner",
  "backup-fs-runner",
];
const RESTORE_VARIANTS: readonly Variant[] = ["raw-create", "restore-fs", "restore-fs-runner"];
/** Variants whose worker runs with the runner image's memory settings. */
const RUNNER_VARIANTS: ReadonlySet<Variant | "idle"> = new Set([
  "raw-list-runner",
  "backup-fs-runner",
  "restore-fs-runner",
]);
const GOAL_LINES = { backup: 1.25, restore: 1.5 };

const createBucket = async (minio: MinioTarget, bucket: string) => {
  const client = new S3Client({
    region: minio.region,
    endpoint: minio.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
};

const mapping = (sources: readonly string[], prefix: string) =>
  Object.fromEntries(sources.map((ns, i) => [ns, `${prefix}-${i}`]));

/** Chart points: this run plus the newest earlier result of every other object count in `outDir`. */
const chartPoints = (outDir: string, current: ChartPoint): ChartPoint[] => {
  const byCount = new Map<number, { at: string; point: ChartPoint }>();
  for (const file of readdirSync(outDir).filter((f) => /^bench-.*\.json$/.test(f))) {
    try {
      const old = JSON.parse(readFileSync(join(outDir, file), "utf8")) as Partial<BenchResult>;
      if (old.version !== 1 || !old.config || !old.summary || !old.ratios || !old.startedAt) continue;
      const seen = byCount.get(old.config.objects);
      if (seen && seen.at > old.startedAt) continue;
      byCount.set(old.config.objects, {
        at: old.startedAt,
        point: toPoint(old.config.objects, old.ratios, old.summary),
      });
    } catch {
      // not a bench result: ignored
    }
  }
  byCount.set(current.objects, { at: "~", point: current });
  return [...byCount.values()].map((v) => v.point);
};

const toPoint = (objects: number, r: Ratios, summary: readonly VariantSummary[]): ChartPoint => ({
  objects,
  ratios: {
    "backup / raw LIST": r.backupVsRawList,
    "backup→MinIO / raw LIST": r.backupS3VsRawList,
    "backup+10 actions / backup": r.tenActionsVsNone,
    "restore / raw create": r.restoreVsRawCreate,
  },
  itemsPerSecond: Object.fromEntries(summary.map((s) => [s.variant, s.itemsPerSecond])),
});

/**
 * Seeds, measures and reports. Everything it creates in the cluster (namespaces, the Widget CRD if it
 * was missing) is deleted again, also when it fails. Throws on abort or when an operation fails.
 */
export const runBench = async (options: BenchOptions): Promise<BenchResult> => {
  const objects = options.objects ?? 10_000;
  const namespaceCount = options.namespaces ?? 20;
  const rounds = options.rounds ?? 3;
  const outDir = options.outDir ?? join(repoRoot, "bench-results");
  const progress = createProgress(
    process.stderr,
    options.progress === false ? "off" : process.stderr.isTTY === true ? "line" : "log",
  );
  const began = Date.now();
  const startedAt = new Date(began).toISOString();
  const runId = randomBytes(3).toString("hex");
  const sources = Array.from({ length: namespaceCount }, (_, i) => `bench-${runId}-${i}`);
  const storeDir = mkdtempSync(join(tmpdir(), "stowage-bench-"));
  const bucket = `stowage-bench-${runId}`;
  const kubeconfig = options.kubeconfig;
  const workerArgs = options.cpuProfile ? ["--cpu-prof", "--cpu-prof-dir", join(outDir, "profiles")] : [];
  const checkAbort = () => options.signal?.throwIfAborted();
  const serverPids = options.serverPids ?? [];
  const runnerEnv = runnerMemoryEnv();
  // the namespace controller deletes a few hundred objects per second, on top of the 10 minutes floor
  const deletionTimeoutMs = Math.max(600_000, objects * 2 * 15);
  const toDelete = new Set<string>(sources);
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.replace(/[-:]/g, "").replace(/\..*/, "");
  const partialFile = join(outDir, `bench-${objects}-${stamp}.samples.jsonl`);
  let crdCreated = false;

  const cluster: Cluster = await connect({ kubeconfig });
  try {
    progress.update(`creating ${namespaceCount} namespaces and the ${CRD_NAME} CRD…`);
    await createNamespaces(cluster, sources, runId);
    crdCreated = await ensureCrd(cluster);
    await createBucket(options.minio, bucket);
    await seed(cluster, objects, sources, (done) => {
      if (done % 100 === 0 || done === objects) progress.update(`seeding ${done}/${objects} objects`);
    });
    progress.update("waiting for the controllers to settle (ReplicaSets, EndpointSlices)…");
    const itemsInNamespaces = await settle(cluster, sources);

    const samples: Sample[] = [];
    const restoreVariantsRun = options.backupOnly ? [] : RESTORE_VARIANTS;
    const total = rounds * (BACKUP_VARIANTS.length + restoreVariantsRun.length) + 1;
    let step = 0;
    const measure = async (variant: Variant | "idle", round: number, request: WorkerRequest) => {
      checkAbort();
      step++;
      progress.update(
        `[${step}/${total}] round ${round}/${rounds}: waiting for the control plane to go quiet…`,
      );
      const { quiet } = await waitForQuiet(serverPids, options.quiet);
      progress.update(`[${step}/${total}] round ${round}/${rounds}: ${variant} (${itemsInNamespaces} items)`);
      const result = await runWorker(
        { ...request, serverPids },
        workerArgs,
        RUNNER_VARIANTS.has(variant) ? runnerEnv : {},
      );
      if (variant !== "idle") {
        samples.push({ ...result, variant, round, quietBefore: quiet });
        // kept as they come, so a run that fails late (a 100k run takes an hour) still has its numbers
        appendFileSync(partialFile, `${JSON.stringify(samples.at(-1))}\n`);
      }
      return result;
    };
    const idle = await measure("idle", 0, { op: "idle", kubeconfig });

    const fsTarget: StoreTarget = { kind: "fs", dir: storeDir };
    const s3Target: StoreTarget = { kind: "s3", minio: options.minio, bucket, prefix: "velero" };
    for (let round = 1; round <= rounds; round++) {
      // ABAB…: every other round runs the variants in reverse order, so drift cancels in the medians
      const order = <T>(list: readonly T[]) => (round % 2 === 0 ? [...list].reverse() : [...list]);
      const fsBackup = `bench-${runId}-r${round}`;
      for (const variant of order(BACKUP_VARIANTS)) {
        const backupRequest = (name: string, store: StoreTarget, actions: number): WorkerRequest => ({
          op: "backup",
          kubeconfig,
          namespaces: sources,
          store,
          name,
          actions,
        });
        const rawList = (): WorkerRequest => ({ op: "raw-list", kubeconfig, namespaces: sources });
        const requests: Partial<Record<Variant, () => WorkerRequest>> = {
          "raw-list": rawList,
          "raw-list-runner": rawList,
          "backup-fs": () => backupRequest(fsBackup, fsTarget, 0),
          "backup-fs-runner": () => backupRequest(`${fsBackup}-runner`, fsTarget, 0),
          "backup-fs-1-action": () => backupRequest(`${fsBackup}-a1`, fsTarget, 1),
          "backup-fs-10-actions": () => backupRequest(`${fsBackup}-a10`, fsTarget, 10),
          "backup-s3": () => backupRequest(`${fsBackup}-s3`, s3Target, 0),
        };
        const request = requests[variant];
        if (!request) throw new Error(`bench: no request for variant ${variant}`);
        await measure(variant, round, request());
      }
      // every creator writes into namespaces of its own
      const targetMaps: Partial<Record<Variant, Record<string, string>>> = {
        "raw-create": mapping(sources, `bench-${runId}-c${round}`),
        "restore-fs": mapping(sources, `bench-${runId}-r${round}`),
        "restore-fs-runner": mapping(sources, `bench-${runId}-m${round}`),
      };
      for (const map of Object.values(targetMaps)) for (const ns of Object.values(map)) toDelete.add(ns);
      const restoreVariants = order(restoreVariantsRun);
      for (const [i, variant] of restoreVariants.entries()) {
        const targetMap = targetMaps[variant] ?? {};
        const targets = Object.values(targetMap);
        const request: WorkerRequest =
          variant === "raw-create"
            ? { op: "raw-create", kubeconfig, mapping: targetMap }
            : { op: "restore", kubeconfig, store: fsTarget, backupName: fsBackup, mapping: targetMap };
        await measure(variant, round, request);
        // every creator starts from the same cluster: the sources only. Every object an earlier one created
        // would otherwise weigh on the next (the apiserver's watch cache and Go heap, etcd): at 100k the
        // one that ran second used twice the apiserver CPU. After the very last, cleanup deletes them.
        if (round < rounds || i < restoreVariants.length - 1) {
          progress.update(
            `round ${round}/${rounds}: deleting what ${variant} created and waiting until it is gone…`,
          );
          await deleteNamespaces(cluster, targets, deletionTimeoutMs);
          for (const ns of targets) toDelete.delete(ns);
        }
      }
    }

    const summary = summarise(samples);
    const r = ratios(samples);
    const goalList = goals(objects, r, summary, cpus().length);
    const table = formatTable(summary, r, goalList, cpus().length);
    const files = {
      json: join(outDir, `bench-${objects}-${stamp}.json`),
      svg: join(outDir, `bench-${objects}-${stamp}.svg`),
    };
    const result: BenchResult = {
      version: 1,
      startedAt,
      durationS: (Date.now() - began) / 1000,
      config: {
        objects,
        namespaces: namespaceCount,
        rounds,
        listConcurrency: 8,
        pageSize: 500,
        createConcurrency: 16,
      },
      machine: {
        cpus: cpus().length,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      },
      itemsInNamespaces,
      idleWorkerRssMb: idle.maxRssMb,
      samples,
      summary,
      ratios: r,
      goals: goalList,
      table,
      files,
    };
    const points = chartPoints(outDir, toPoint(objects, r, summary));
    writeFileSync(files.json, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      files.svg,
      renderChart(
        points,
        { backup: GOAL_LINES.backup, restore: GOAL_LINES.restore },
        `stowage bench ${startedAt} — ${cpus().length} CPUs, ${rounds} rounds, medians`,
      ),
    );
    writeFileSync(join(outDir, "latest.svg"), readFileSync(files.svg));
    rmSync(partialFile, { force: true });
    return result;
  } finally {
    progress.update("cleaning up…");
    const aborted = options.signal?.aborted === true;
    await deleteNamespaces(cluster, [...toDelete], aborted ? 1 : deletionTimeoutMs).catch(() => undefined);
    if (crdCreated)
      await cluster.delete("customresourcedefinitions.apiextensions.k8s.io", CRD_NAME).catch(() => undefined);
    rmSync(storeDir, { recursive: true, force: true });
    cluster.close();
    progress.done();
  }
};
