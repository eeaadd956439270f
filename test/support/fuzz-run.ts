/**
 * Runs fuzz cases (test/support/fuzz.ts) and judges each one, for test/format/fuzz.test.ts and
 * scripts/fuzz.ts:
 *
 * - no crash: the reader (every case) and the restore (a sample) may only succeed or throw a Stowage
 *   error (`isStowageError`); anything else thrown, and any unhandled rejection or uncaught exception
 *   during the case, is a crash;
 * - no hang: every case runs under a timeout (its signal is aborted then); a timeout is a hang;
 * - nothing written outside scope: on disk, nothing appears outside the extraction directory and the
 *   extraction directory is empty again after each case; in the cluster, the restore plans no write
 *   outside its target namespace, a victim namespace (whose objects the mutations aim at) keeps every
 *   object unchanged (uid and resourceVersion), and a sweep of every listable resource finds no object
 *   written by Stowage's field manager since the run began outside the target namespaces;
 * - bounded memory: the process's RSS and heap high-water marks are sampled through the run.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { isStowageError } from "../../lib/errors.ts";
import { extractArchive } from "../../lib/format/index.ts";
import { type Cluster, connect, fsStore, type KubeObject, restore } from "../../lib/index.ts";
import {
  FUZZ_BACKUP,
  FUZZ_SOURCE_NAMESPACE,
  type FuzzCase,
  type FuzzTargets,
  LAYERS,
  type Layer,
  loadFixture,
  makeCase,
} from "./fuzz.ts";

/** How one step of a case ended. */
export type StepVerdict = "accepted" | "refused" | "crash" | "hang";

/** What a failing case broke. */
export type FailureKind = "crash" | "hang" | "escape" | "leak" | "out-of-scope";

export interface CaseOutcome {
  readonly seed: number;
  readonly index: number;
  readonly layer: Layer;
  readonly mutations: readonly string[];
  readonly reader: { verdict: StepVerdict; code?: string; message?: string; items?: number; ms: number };
  restore?: {
    verdict: StepVerdict;
    name: string;
    targetNamespace: string;
    phase?: string;
    errors?: number;
    code?: string;
    message?: string;
    ms: number;
  };
  readonly failures: Array<{ kind: FailureKind; detail: string }>;
}

/** Which cases also run a restore against the API server: 1 in `every[layer]` (0: never). */
export type RestoreSampling = Readonly<Record<Layer, number>>;

export interface FuzzRunOptions {
  /** Each seed runs `cases` cases, indexes `from` (default 0) onwards. */
  readonly runs: ReadonlyArray<{ readonly seed: number; readonly cases: number; readonly from?: number }>;
  /** A fresh directory for extraction, stores and escape checks (the caller removes it). */
  readonly workDir: string;
  /** Restores run against this cluster; without it only the reader runs. */
  readonly kubeconfig?: string;
  readonly restoreEvery?: RestoreSampling;
  /** Per-case timeout of the reader step. */
  readonly readerTimeoutMs?: number;
  /** Per-case timeout of the restore step. */
  readonly restoreTimeoutMs?: number;
  /** Sweep the cluster for out-of-scope writes after this many restores (and at the end). */
  readonly sweepEvery?: number;
  readonly onCase?: (outcome: CaseOutcome, done: number, total: number) => void;
}

export interface FuzzSummary {
  readonly runs: ReadonlyArray<{ seed: number; cases: number; from?: number }>;
  readonly cases: number;
  readonly restores: number;
  readonly restoreEvery: RestoreSampling | null;
  /** layer → verdict → count, for the reader and the restore steps. */
  readonly reader: Record<string, Record<string, number>>;
  readonly restore: Record<string, Record<string, number>>;
  readonly failures: CaseOutcome[];
  /** Distinct messages (blurred) of refusals and of the restores' item errors, with counts. */
  readonly messages: Record<string, number>;
  /** Out-of-scope writes the cluster sweeps found (not attributable to one case by the plan). */
  readonly sweepViolations: string[];
  readonly sweeps: number;
  readonly objectsSwept: number;
  /**
   * Objects the sweeps found written by the restores inside their target namespaces: the proof that a
   * sweep sees the restores' writes at all (target namespaces are deleted only after the sweep).
   */
  readonly inScopeWrites: number;
  /** Time spent in the reader steps, the restore steps, and the sweeps (with the victim's snapshots). */
  readonly stepMs: { reader: number; restore: number; sweep: number };
  readonly peakRssBytes: number;
  /** The case during which the RSS high-water mark was set. */
  readonly peakRssCase: string;
  readonly peakHeapUsedBytes: number;
  readonly durationMs: number;
  readonly slowestCase: { seed: number; index: number; ms: number; layer: Layer } | undefined;
}

/** Default sampling: every JSON-, store- and combo-layer case, 1 in 5 gzip and tar cases. */
export const DEFAULT_RESTORE_EVERY: RestoreSampling = { json: 1, store: 1, combo: 1, tar: 5, gzip: 5 };

const SETUP_MANAGER = "stowage-fuzz-setup";
/** The field manager every Stowage write carries (lib/kube/client.ts). */
const STOWAGE_MANAGER = "stowage";

class Timeout extends Error {}

/**
 * What a JavaScript engine says when code trips over a value it did not expect: a restore that turns
 * such an error into an item error still has a crash inside it.
 */
const ENGINE_ERROR =
  /Cannot read propert|Cannot set propert|Cannot convert|is not a function|is not iterable|is not a constructor|Maximum call stack|Invalid array length|Invalid string length|\b(?:TypeError|RangeError|ReferenceError|SyntaxError)\b/;

/** A message with its case-specific parts (names, numbers) blurred, for tallies. */
const blur = (message: string): string =>
  message
    .replace(/fz-victim-[a-z0-9]+/g, "<victim>")
    .replace(/fz-[a-z0-9]+-\d+/g, "<target>")
    .replace(/\d+/g, "#")
    .slice(0, 160);

/** Runs `step` with a signal; rejects with {@link Timeout} (and aborts the signal) after `ms`. */
const withTimeout = async <T>(ms: number, step: (signal: AbortSignal) => Promise<T>): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(new Error("fuzz case timeout"));
      reject(new Timeout(`no answer within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([step(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

const describeError = (error: unknown): string => {
  if (error instanceof Error)
    return `${error.name}: ${error.message.slice(0, 500)}\n${(error.stack ?? "").split("\n").slice(1, 8).join("\n")}`;
  return String(error);
};

/** A step's verdict from what it threw. */
const judgeError = (error: unknown): { verdict: StepVerdict; code?: string; message: string } => {
  if (error instanceof Timeout) return { verdict: "hang", message: error.message };
  if (isStowageError(error))
    return { verdict: "refused", code: error.code, message: error.message.slice(0, 300) };
  return { verdict: "crash", message: describeError(error) };
};

/** Memory high-water marks, sampled on a timer and after every case. */
const memoryMeter = () => {
  let rss = 0;
  let heap = 0;
  /** The case running when the RSS high-water mark was set. */
  let current = "";
  let peakCase = "";
  const sample = () => {
    const usage = process.memoryUsage();
    if (usage.rss > rss) {
      rss = usage.rss;
      peakCase = current;
    }
    heap = Math.max(heap, usage.heapUsed);
  };
  const timer = setInterval(sample, 20);
  timer.unref();
  return {
    sample,
    stop: () => clearInterval(timer),
    get rss() {
      return rss;
    },
    get heap() {
      return heap;
    },
    get peakCase() {
      return peakCase;
    },
    set current(label: string) {
      current = label;
    },
  };
};

// ---------------------------------------------------------------------------------------------------
// The cluster side

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every listable resource, preferred versions, no subresources. */
const listableResources = async (cluster: Cluster) =>
  (await cluster.discovery({ refresh: true })).resources.filter(
    (r) => r.preferred && r.verbs.includes("list") && !r.resource.includes("/"),
  );

const objectKey = (resource: string, o: KubeObject) =>
  `${resource} ${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

/** A namespace full of decoys named like the fixture's objects; nothing may ever touch it. */
const makeVictim = async (cluster: Cluster, name: string): Promise<Map<string, string>> => {
  const opts = { fieldManager: SETUP_MANAGER };
  await cluster.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }, opts);
  const ns = { ...opts, namespace: name };
  const meta = (n: string) => ({ name: n, namespace: name, labels: { "fuzz.stowage.io/decoy": "yes" } });
  await cluster.create(
    "configmaps",
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta("shop-settings"), data: { decoy: "yes" } },
    ns,
  );
  await cluster.create(
    "secrets",
    { apiVersion: "v1", kind: "Secret", metadata: meta("shop-db"), stringData: { decoy: "yes" } },
    ns,
  );
  await cluster.create(
    "serviceaccounts",
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta("shop-api") },
    ns,
  );
  await cluster.create(
    "roles.rbac.authorization.k8s.io",
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: meta("shop-reader"), rules: [] },
    ns,
  );
  await cluster.create(
    "rolebindings.rbac.authorization.k8s.io",
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta("shop-reader"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "shop-reader" },
      subjects: [{ kind: "ServiceAccount", name: "shop-api", namespace: name }],
    },
    ns,
  );
  // the controller-manager adds these to every new namespace; wait so the snapshot holds them
  for (let i = 0; i < 300; i++) {
    const sa = await cluster.tryGet("serviceaccounts", "default", { namespace: name });
    const ca = await cluster.tryGet("configmaps", "kube-root-ca.crt", { namespace: name });
    if (sa && ca) break;
    await sleep(100);
  }
  return snapshotNamespace(cluster, name);
};

/** uid and resourceVersion of every object in a namespace, and of the namespace itself. */
const snapshotNamespace = async (cluster: Cluster, name: string): Promise<Map<string, string>> => {
  const out = new Map<string, string>();
  const ns = await cluster.tryGet("namespaces", name);
  out.set(`namespaces /${name}`, `${ns?.metadata?.uid} ${ns?.metadata?.resourceVersion}`);
  for (const resource of await listableResources(cluster)) {
    if (
      !resource.namespaced ||
      resource.groupResource === "events" ||
      resource.groupResource === "events.events.k8s.io"
    )
      continue;
    for (const o of await cluster.list(resource, { namespace: name })) {
      out.set(objectKey(resource.groupResource, o), `${o.metadata?.uid} ${o.metadata?.resourceVersion}`);
    }
  }
  return out;
};

const diffSnapshots = (before: Map<string, string>, after: Map<string, string>): string[] => {
  const problems: string[] = [];
  for (const [key, value] of before) {
    const now = after.get(key);
    if (now === undefined) problems.push(`victim ${key} was deleted`);
    else if (now !== value) problems.push(`victim ${key} was modified (${value} -> ${now})`);
  }
  for (const key of after.keys()) if (!before.has(key)) problems.push(`victim ${key} was created`);
  return problems;
};

/**
 * Every object written by Stowage since `since` (a managedFields entry of its field manager with a
 * later time) that is not inside an allowed namespace (or one of those namespaces itself).
 */
const sweepCluster = async (
  cluster: Cluster,
  since: Date,
  allowed: ReadonlySet<string>,
  restoreLabelPrefix: string,
): Promise<{ violations: string[]; objects: number; inScopeWrites: number }> => {
  const violations: string[] = [];
  let objects = 0;
  let inScopeWrites = 0;
  const floor = Math.floor(since.getTime() / 1000) * 1000 - 1000;
  for (const resource of await listableResources(cluster)) {
    for (const o of await cluster.list(resource, { limit: 2000 })) {
      objects++;
      const ns = o.metadata?.namespace;
      const name = o.metadata?.name ?? "";
      const inScope = ns ? allowed.has(ns) : resource.groupResource === "namespaces" && allowed.has(name);
      const restoreLabel = o.metadata?.labels?.["velero.io/restore-name"] ?? "";
      const written = (o.metadata?.managedFields ?? []).some(
        (f) => f.manager === STOWAGE_MANAGER && typeof f.time === "string" && Date.parse(f.time) >= floor,
      );
      if (inScope) {
        if (written) inScopeWrites++;
      } else if (written || restoreLabel.startsWith(restoreLabelPrefix)) {
        violations.push(
          `${objectKey(resource.groupResource, o)} was written by a fuzz restore${restoreLabel ? ` (velero.io/restore-name=${restoreLabel})` : ""}, outside the restores' target namespaces`,
        );
      }
    }
  }
  return { violations, objects, inScopeWrites };
};

/** Strips the finalizers mutations put on restored objects, then deletes the namespace (not waiting). */
const releaseNamespace = async (cluster: Cluster, c: FuzzCase, namespace: string): Promise<void> => {
  const unfinalize = { metadata: { finalizers: null } } as unknown as KubeObject;
  for (const { groupResource, name } of c.finalizers) {
    await cluster
      .patch(groupResource, name, unfinalize, { namespace, fieldManager: SETUP_MANAGER })
      .catch(() => undefined);
  }
  const ns = await cluster.tryGet("namespaces", namespace).catch(() => undefined);
  if (ns?.metadata?.finalizers?.length)
    await cluster
      .patch("namespaces", namespace, unfinalize, { fieldManager: SETUP_MANAGER })
      .catch(() => undefined);
  await cluster.delete("namespaces", namespace).catch(() => undefined);
};

// ---------------------------------------------------------------------------------------------------
// The run

const writeStore = (root: string, c: FuzzCase): void => {
  const dir = join(root, "backups", FUZZ_BACKUP);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "velero-backup.json"), c.backupJson);
  writeFileSync(join(dir, `${FUZZ_BACKUP}.tar.gz`), c.tarGz);
  for (const [file, bytes] of c.sidecars) writeFileSync(join(dir, file), bytes);
};

const count = (table: Record<string, Record<string, number>>, layer: string, verdict: string) => {
  const row = table[layer] ?? {};
  table[layer] = row;
  row[verdict] = (row[verdict] ?? 0) + 1;
};

/** Runs every case of `options.runs`; never throws for a case (failures are in the summary). */
export const runFuzz = async (options: FuzzRunOptions): Promise<FuzzSummary> => {
  const began = Date.now();
  const started = new Date();
  const fixture = loadFixture();
  const tag = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0");
  const extractDir = join(options.workDir, "extract");
  const storesDir = join(options.workDir, "stores");
  const escapeDir = join(options.workDir, "escape");
  for (const dir of [extractDir, storesDir, escapeDir]) mkdirSync(dir, { recursive: true });
  const expectedTop = new Set(["extract", "stores", "escape"]);
  const readerTimeoutMs = options.readerTimeoutMs ?? 60_000;
  const restoreTimeoutMs = options.restoreTimeoutMs ?? 300_000;
  const restoreEvery = options.kubeconfig ? (options.restoreEvery ?? DEFAULT_RESTORE_EVERY) : undefined;
  const cluster = options.kubeconfig ? await connect({ kubeconfig: options.kubeconfig }) : undefined;
  const victimNamespace = `fz-victim-${tag}`;
  const targets: FuzzTargets = { victimNamespace, escapeDir };
  const victim = cluster ? await makeVictim(cluster, victimNamespace) : undefined;

  const memory = memoryMeter();
  const readerTable: Record<string, Record<string, number>> = {};
  const restoreTable: Record<string, Record<string, number>> = {};
  const failures: CaseOutcome[] = [];
  const messages: Record<string, number> = {};
  const tally = (message: string) => {
    const key = blur(message);
    messages[key] = (messages[key] ?? 0) + 1;
  };
  const sweepViolations: string[] = [];
  const allowed = new Set<string>();
  const stepMs = { reader: 0, restore: 0, sweep: 0 };
  let sweeps = 0;
  let objectsSwept = 0;
  let inScopeWrites = 0;
  /** Target namespaces restored into since the last sweep, deleted after it. */
  let pending: Array<{ c: FuzzCase; namespace: string }> = [];
  let restores = 0;
  let sinceSweep = 0;
  let slowest: FuzzSummary["slowestCase"];
  const total = options.runs.reduce((n, r) => n + r.cases, 0);
  let done = 0;

  // anything escaping a case's promises is that case's crash
  let strays: string[] = [];
  const onStray = (error: unknown) => strays.push(describeError(error));
  process.on("unhandledRejection", onStray);
  process.on("uncaughtException", onStray);

  const sweep = async () => {
    if (!cluster) return;
    const sweepBegan = Date.now();
    const found = await sweepCluster(cluster, started, allowed, `fz-${tag}-`);
    sweeps++;
    objectsSwept += found.objects;
    inScopeWrites += found.inScopeWrites;
    sweepViolations.push(...found.violations);
    sinceSweep = 0;
    for (const { c, namespace } of pending) await releaseNamespace(cluster, c, namespace);
    pending = [];
    stepMs.sweep += Date.now() - sweepBegan;
  };

  try {
    for (const run of options.runs) {
      const from = run.from ?? 0;
      for (let index = from; index < from + run.cases; index++) {
        memory.current = `seed ${run.seed} index ${index}`;
        const c = makeCase(fixture, targets, run.seed, index);
        const caseBegan = Date.now();
        strays = [];
        const failuresOf: CaseOutcome["failures"] = [];

        // 1. the reader, on every case
        const readerBegan = Date.now();
        let reader: CaseOutcome["reader"];
        try {
          const items = await withTimeout(readerTimeoutMs, async (signal) => {
            const archive = await extractArchive(Readable.from([c.tarGz]), { tempDir: extractDir, signal });
            let n = 0;
            try {
              for (const ref of archive.items()) {
                n++;
                try {
                  await archive.readItem(ref);
                } catch (error) {
                  if (!isStowageError(error)) throw error;
                }
              }
            } finally {
              await archive.cleanup();
            }
            return n;
          });
          reader = { verdict: "accepted", items, ms: Date.now() - readerBegan };
        } catch (error) {
          reader = { ...judgeError(error), ms: Date.now() - readerBegan };
        }
        count(readerTable, c.layer, reader.verdict);
        stepMs.reader += reader.ms;

        const outcome: CaseOutcome = {
          seed: run.seed,
          index,
          layer: c.layer,
          mutations: c.mutations,
          reader,
          failures: failuresOf,
        };

        // 2. the restore, on a sample
        const every = restoreEvery?.[c.layer] ?? 0;
        if (cluster && every > 0 && index % every === 0) {
          restores++;
          sinceSweep++;
          const name = `fz-${tag}-${restores}`;
          const target = name;
          allowed.add(target);
          const storeRoot = join(storesDir, name);
          writeStore(storeRoot, c);
          const restoreBegan = Date.now();
          const policy = (c.index >> 1) % 2 === 0 ? "none" : "update";
          try {
            const result = await withTimeout(restoreTimeoutMs, (signal) =>
              restore({
                cluster,
                store: fsStore(storeRoot, { fsync: false }),
                backupName: FUZZ_BACKUP,
                name,
                includedNamespaces: [FUZZ_SOURCE_NAMESPACE],
                includeClusterResources: false,
                namespaceMapping: { [FUZZ_SOURCE_NAMESPACE]: target },
                existingResourcePolicy: policy,
                archiveLimits: { tempDir: extractDir },
                signal,
              }),
            );
            outcome.restore = {
              verdict: "accepted",
              name,
              targetNamespace: target,
              phase: result.phase,
              errors: result.counts.errors,
              ms: Date.now() - restoreBegan,
            };
            const itemErrors = [
              ...(result.errors.velero ?? []),
              ...(result.errors.cluster ?? []),
              ...Object.values(result.errors.namespaces ?? {}).flat(),
            ];
            for (const message of itemErrors) {
              tally(message);
              if (ENGINE_ERROR.test(message))
                failuresOf.push({
                  kind: "crash",
                  detail: `an item failed with a JavaScript engine error: ${message.slice(0, 500)}`,
                });
            }
            for (const entry of result.plan) {
              if (entry.action !== "create" && entry.action !== "update") continue;
              const inScope =
                entry.namespace === target || (entry.resource === "namespaces" && entry.name === target);
              if (!inScope)
                failuresOf.push({
                  kind: "out-of-scope",
                  detail: `the restore planned to ${entry.action} ${entry.resource} ${entry.namespace ?? ""}/${entry.name}, outside ${target}`,
                });
            }
          } catch (error) {
            outcome.restore = {
              ...judgeError(error),
              name,
              targetNamespace: target,
              ms: Date.now() - restoreBegan,
            };
          }
          count(restoreTable, c.layer, outcome.restore.verdict);
          stepMs.restore += outcome.restore.ms;
          pending.push({ c, namespace: target });
          rmSync(storeRoot, { recursive: true, force: true });
        }

        // 3. judge
        if (reader.verdict === "refused" && reader.message) tally(reader.message);
        if (outcome.restore?.verdict === "refused" && outcome.restore.message) tally(outcome.restore.message);
        for (const step of [reader, outcome.restore]) {
          if (step?.verdict === "refused" && step.message && ENGINE_ERROR.test(step.message))
            failuresOf.push({
              kind: "crash",
              detail: `refused with a JavaScript engine error inside: ${step.message}`,
            });
        }
        for (const step of [reader, outcome.restore]) {
          if (step?.verdict === "crash" || step?.verdict === "hang")
            failuresOf.push({ kind: step.verdict, detail: step.message ?? "" });
        }
        if (strays.length)
          failuresOf.push({ kind: "crash", detail: `escaped the case: ${strays.join("; ")}` });
        const top = readdirSync(options.workDir).filter((f) => !expectedTop.has(f));
        const escaped = [...top, ...readdirSync(escapeDir)];
        if (existsSync("/tmp/stowage-fuzz-absolute.json")) escaped.push("/tmp/stowage-fuzz-absolute.json");
        if (escaped.length)
          failuresOf.push({
            kind: "escape",
            detail: `files outside the extraction directory: ${escaped.join(", ")}`,
          });
        const left = readdirSync(extractDir);
        if (left.length) {
          failuresOf.push({
            kind: "leak",
            detail: `the extraction directory was left behind: ${left.join(", ")}`,
          });
          for (const f of left) rmSync(join(extractDir, f), { recursive: true, force: true });
        }
        if (failuresOf.length) failures.push(outcome);
        memory.sample();
        const ms = Date.now() - caseBegan;
        if (!slowest || ms > slowest.ms) slowest = { seed: run.seed, index, ms, layer: c.layer };
        done++;
        options.onCase?.(outcome, done, total);
        if (options.sweepEvery && sinceSweep >= options.sweepEvery) await sweep();
      }
    }
    if (cluster) {
      // let the last requests settle before looking
      await sweep();
      if (victim) {
        const after = await snapshotNamespace(cluster, victimNamespace);
        sweepViolations.push(...diffSnapshots(victim, after));
      }
    }
  } finally {
    process.off("unhandledRejection", onStray);
    process.off("uncaughtException", onStray);
    memory.stop();
    if (cluster) {
      for (const { c, namespace } of pending) await releaseNamespace(cluster, c, namespace);
      await cluster.delete("namespaces", victimNamespace).catch(() => undefined);
      cluster.close();
    }
  }

  const summary: FuzzSummary = {
    runs: options.runs.map((r) => ({ ...r })),
    cases: done,
    restores,
    restoreEvery: restoreEvery ?? null,
    reader: readerTable,
    restore: restoreTable,
    failures,
    messages,
    sweepViolations,
    sweeps,
    objectsSwept,
    inScopeWrites,
    stepMs,
    peakRssBytes: memory.rss,
    peakRssCase: memory.peakCase,
    peakHeapUsedBytes: memory.heap,
    durationMs: Date.now() - began,
    slowestCase: slowest,
  };
  return summary;
};

/** A one-line replay hint for a failing case. */
export const replayHint = (o: Pick<CaseOutcome, "seed" | "index">): string =>
  `npm run fuzz -- --seed ${o.seed} --from ${o.index} --cases 1`;

/** A short human report of failures. */
export const describeFailures = (summary: FuzzSummary): string =>
  [
    ...summary.failures.map(
      (o) =>
        `case seed=${o.seed} index=${o.index} layer=${o.layer} [${o.mutations.join(" | ")}]\n  ${o.failures
          .map((f) => `${f.kind}: ${f.detail.replaceAll("\n", "\n    ")}`)
          .join("\n  ")}\n  replay: ${replayHint(o)}`,
    ),
    ...summary.sweepViolations.map((v) => `sweep: ${v}`),
  ].join("\n");

export { LAYERS };
