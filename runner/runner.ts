/**
 * The runner: loads scripts, runs their schedules behind leader election (each tick at most once in
 * total, the newest tick missed while nobody led caught up once: ./catch-up.ts),
 * garbage-collects expired backups on the leader, serves probes and metrics, logs JSON, and shuts down
 * gracefully: no new runs, the running one gets a grace period, then is aborted and recorded as failed
 * (a backup aborted this way removes what it wrote — never a half-written "Completed").
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import {
  type Cluster,
  collectGarbage,
  type ObjectStore,
  type PodVolumeDeleteOptions,
  type Schedule,
} from "../lib/index.ts";
import { setScheduleHost } from "../lib/schedule/index.ts";
import type { VolumeSnapshotLocation } from "../lib/snapshot/types.ts";
import { createCatchUp, runOf } from "./catch-up.ts";
import { asScript, installExitGuard } from "./exit-guard.ts";
import { serveProbes } from "./http.ts";
import { createLeaderElector, type LeaderElector } from "./leader.ts";
import { createLogger, type Logger } from "./log.ts";
import { createRunnerMetrics } from "./metrics.ts";
import { loadScripts } from "./scripts.ts";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** Options of {@link startRunner}. */
export interface RunnerOptions {
  /** The cluster (in-cluster config or kubeconfig); used for the Lease. */
  readonly cluster: Cluster;
  /** Directory of scripts (a mounted ConfigMap). @default "/scripts" */
  readonly scriptsDir?: string;
  /** The store to garbage-collect. @default none: GC is off and says so in the log */
  readonly store?: ObjectStore;
  /**
   * Namespace of the Lease, used when neither `POD_NAMESPACE` nor the in-cluster namespace is known.
   * @default "stowage"
   */
  readonly namespace?: string;
  /** Holder identity. @default `$POD_NAME`, else `<hostname>-<pid>` */
  readonly identity?: string;
  /** Where `/healthz`, `/readyz` and `/metrics` listen. @default ":8085" */
  readonly metricsAddr?: string;
  /** Name of the Lease. @default "stowage-runner" */
  readonly leaseName?: string;
  /** @default 15000 */
  readonly leaseDurationMs?: number;
  /** @default 10000 */
  readonly renewDeadlineMs?: number;
  /** @default 2000 */
  readonly retryPeriodMs?: number;
  /** Time between GC passes on the leader; 0 turns GC off. @default 3600000 (Velero's 60 min) */
  readonly gcIntervalMs?: number;
  /** Locations of backups' volume snapshots, so GC deletes the snapshots with their backups. @default [] */
  readonly volumeSnapshotLocations?: readonly VolumeSnapshotLocation[];
  /**
   * How GC forgets backups' restic pod volume snapshots (restic runs in the runner's container).
   * @default { cluster } of these options, with the backend derived from `store` (directory stores and `s3Store`s)
   */
  readonly podVolumes?: PodVolumeDeleteOptions | false;
  /** How long a running run may go on after SIGTERM before it is aborted. @default 25000 */
  readonly gracePeriodMs?: number;
  /** @default JSON lines on stdout */
  readonly log?: Logger;
  /** Environment, for POD_NAME / POD_NAMESPACE. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** A started runner. */
export interface Runner {
  /** Base URL of the probe/metrics server. */
  readonly url: string;
  readonly identity: string;
  readonly namespace: string;
  readonly schedules: readonly Schedule[];
  readonly elector: LeaderElector;
  /** Graceful stop (idempotent). */
  stop(): Promise<void>;
}

/** The Lease namespace: POD_NAMESPACE, else the in-cluster namespace, else `--namespace`, else "stowage". */
export const leaseNamespace = (env: NodeJS.ProcessEnv, flag: string | undefined): string => {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE)) {
    const inCluster = readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim();
    if (inCluster) return inCluster;
  }
  return flag ?? "stowage";
};

export const startRunner = async (options: RunnerOptions): Promise<Runner> => {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const identity = options.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const namespace = leaseNamespace(env, options.namespace);
  const scriptsDir = options.scriptsDir ?? "/scripts";
  const metrics = createRunnerMetrics();
  let phase: "loading" | "running" | "stopping" = "loading";

  const probes = await serveProbes(options.metricsAddr ?? ":8085", {
    healthy: () => phase !== "stopping",
    ready: () => phase === "running",
    status: () => ({
      phase,
      identity,
      leader: elector?.isLeader ?? false,
      holder: elector?.holder ?? null,
      scripts: report ? { loaded: report.loaded.map((s) => s.path), failed: report.failed } : null,
      schedules: schedules.map((s) => ({
        name: s.name,
        cron: s.cron,
        timezone: s.timezone,
        paused: s.paused,
        running: s.running,
        next: s.nextRuns(1)[0]?.toISOString() ?? null,
        runs: s.stats.runs,
        failed: s.stats.failed,
      })),
    }),
    metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.render() }),
  });
  log.info("runner starting", {
    identity,
    leaseNamespace: namespace,
    scripts: scriptsDir,
    listen: probes.url,
  });

  let elector: LeaderElector | undefined;
  let report: Awaited<ReturnType<typeof loadScripts>> | undefined;
  const schedules: Schedule[] = [];
  // a script's process.exit() while loading or inside a run fails that load or run (./exit-guard.ts)
  const releaseExitGuard = installExitGuard((error) =>
    log.error("a script's detached callback called process.exit: refused, the runner goes on", {
      error: error.message,
    }),
  );
  try {
    report = await loadScripts(scriptsDir);
  } catch (error) {
    releaseExitGuard();
    await probes.close();
    throw error;
  }
  // schedules created after loading (from callbacks) must not start outside the leader's gate
  setScheduleHost({
    adopt: (s) =>
      log.error("schedule created after the scripts were loaded is ignored", { schedule: s.name }),
  });
  for (const failure of report.failed)
    log.error("script not loaded", { script: failure.path, error: failure.error });
  for (const script of report.loaded) {
    log.info("script loaded", {
      script: script.path,
      schedules: script.schedules.map((s) => s.name),
      itemActions: script.actions,
    });
    schedules.push(...script.schedules);
  }
  metrics.setScripts(report.loaded.length, report.failed.length);
  if (report.loaded.length === 0 && report.failed.length === 0) {
    log.warn("no scripts found: nothing is scheduled", { scripts: scriptsDir });
  }

  // becoming the leader catches up missed ticks once the schedules run (set below)
  let onLeading = () => {};
  elector = await createLeaderElector({
    cluster: options.cluster,
    namespace,
    identity,
    log,
    // while a script is broken its schedules are unknown: keep every entry until all scripts load
    ...(report.failed.length === 0 ? { schedules: schedules.map((s) => s.name) } : {}),
    ...(options.leaseName ? { name: options.leaseName } : {}),
    ...(options.leaseDurationMs ? { leaseDurationMs: options.leaseDurationMs } : {}),
    ...(options.renewDeadlineMs ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
    ...(options.retryPeriodMs ? { retryPeriodMs: options.retryPeriodMs } : {}),
    onChange: (leading) => {
      metrics.setLeader(leading);
      if (leading) onLeading();
    },
  });
  const leader = elector;
  metrics.setLeader(leader.isLeader);
  const catchUp = createCatchUp({ schedules, elector: leader, log, metrics });
  // a leader at start catches up as each schedule starts, before its timer can claim a later tick
  const lastAtStart = leader.isLeader ? await catchUp.lastTicks() : undefined;

  for (const s of schedules) {
    metrics.observe(s);
    const scheduleLog = log.with({ schedule: s.name });
    s.onEvent((event) => {
      if (event.type === "started") {
        scheduleLog.info("run started", {
          trigger: event.run.trigger,
          scheduledAt: event.run.scheduledAt,
          ...(event.run.trigger === "catch-up" ? { catchUp: true } : {}),
        });
      } else if (event.type === "finished") {
        const { record } = event;
        const fields = {
          trigger: record.trigger,
          scheduledAt: record.scheduledAt,
          outcome: record.outcome,
          durationMs: record.durationMs,
          items: record.items,
          error: record.error,
        };
        if (record.outcome === "failed") scheduleLog.error("run failed", fields);
        else scheduleLog.info("run finished", fields);
      } else if (event.type === "skipped") {
        scheduleLog.warn("tick skipped: the previous run is still going", {
          scheduledAt: event.scheduledAt,
          runningSince: event.runningSince,
        });
      } else {
        scheduleLog.debug("tick declined", { scheduledAt: event.scheduledAt, reason: event.reason });
      }
    });
    asScript(runOf(s), () => s.start({ gate: catchUp.gate(s) }));
    if (lastAtStart) catchUp.catchUp(s, lastAtStart);
  }

  const gcIntervalMs = options.gcIntervalMs ?? 3_600_000;
  let gcTimer: NodeJS.Timeout | undefined;
  const store = options.store;
  if (!store || gcIntervalMs <= 0) {
    log.info("garbage collection is off", {
      reason: store ? "the GC interval is 0" : "no store configured (set STOWAGE_STORE or --store)",
    });
  } else {
    const gcPass = async () => {
      if (!leader.isLeader || phase !== "running") return;
      try {
        const result = await collectGarbage({
          store,
          volumeSnapshotLocations: options.volumeSnapshotLocations ?? [],
          podVolumes: options.podVolumes ?? { cluster: options.cluster },
          onDeleted: (b) => log.info("expired backup deleted", { backup: b.name, expiration: b.expiration }),
        });
        for (const a of result.abandoned)
          log.info("abandoned backup run removed", {
            backup: a.name,
            lastSeen: a.lastSeen,
            snapshots: a.snapshots.length,
          });
        for (const e of result.errors)
          log.error("expired backup not deleted", { backup: e.name, error: e.error });
        metrics.gcPass({ deleted: result.deleted.length, errors: result.errors.length });
      } catch (error) {
        log.error("garbage collection failed", { store: store.location, error: (error as Error).message });
        metrics.gcPass({ deleted: 0, errors: 1 });
      }
    };
    const gcLoop = () => {
      gcTimer = setTimeout(() => void gcPass().finally(gcLoop), gcIntervalMs);
    };
    gcLoop();
  }

  phase = "running";
  log.info("runner ready", {
    schedules: schedules.map((s) => s.name),
    failedScripts: report.failed.length,
    leader: leader.isLeader,
  });
  onLeading = () => {
    if (phase === "running") void catchUp.pass();
  };
  // leadership won while starting up, after the start-up catch-up was decided
  if (leader.isLeader && !lastAtStart) onLeading();

  let stopping: Promise<void> | undefined;
  const gracePeriodMs = options.gracePeriodMs ?? 25_000;
  return {
    url: probes.url,
    identity,
    namespace,
    schedules,
    elector: leader,
    stop() {
      stopping ??= (async () => {
        phase = "stopping";
        clearTimeout(gcTimer);
        const running = schedules.filter((s) => s.running).map((s) => s.name);
        log.info("runner stopping", { running, gracePeriodMs });
        await Promise.all(schedules.map((s) => s.stop({ graceMs: gracePeriodMs })));
        await leader.stop({ release: true });
        await probes.close();
        await report?.cleanup();
        // the exit guard stays installed: a script's detached callback (a timer its last run left) can
        // still fire after this, and its process.exit must not replace the runner's exit code
        log.info("runner stopped");
      })();
      return stopping;
    },
  };
};
