/**
 * `stowage runner`: the in-cluster service (the image's entrypoint). Every flag has a STOWAGE_* twin so
 * the Deployment can configure it through env; the kube and store settings are the CLI's global ones.
 */
import type { ValidationError } from "../../errors.ts";
import { parseDuration } from "../../util/duration.ts";
import type { CommandSpec } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import { splitList } from "../flags.ts";
import { DEFAULT_STORE_DIR } from "../stores.ts";
import type { FlagSpec } from "../types.ts";
import { scriptEnvironment } from "./run.ts";
import { stringFlag } from "./shared.ts";

const FLAGS: readonly FlagSpec[] = [
  stringFlag(
    "scripts",
    "directory of scripts, e.g. a mounted ConfigMap (STOWAGE_SCRIPTS; default /scripts)",
    "DIR",
  ),
  stringFlag(
    "namespace",
    "Lease namespace when neither POD_NAMESPACE nor the in-cluster namespace is known (STOWAGE_NAMESPACE; default stowage)",
    "NS",
  ),
  stringFlag(
    "metrics-addr",
    "listen address of /healthz, /readyz, /metrics (STOWAGE_METRICS_ADDR; default :8085)",
    "ADDR",
  ),
  stringFlag("identity", "Lease holder identity (default $POD_NAME, else hostname-pid)", "ID"),
  stringFlag("lease-name", "name of the Lease (STOWAGE_LEASE_NAME; default stowage-runner)", "NAME"),
  stringFlag(
    "lease-duration",
    "Lease validity without renewal (STOWAGE_LEASE_DURATION; default 15s)",
    "DURATION",
  ),
  stringFlag("renew-deadline", "a leader that cannot renew this long steps down (default 10s)", "DURATION"),
  stringFlag("retry-period", "time between Lease attempts (default 2s)", "DURATION"),
  stringFlag(
    "gc-interval",
    "time between TTL garbage-collection passes, 0 = off (STOWAGE_GC_INTERVAL; default 1h)",
    "DURATION",
  ),
  stringFlag(
    "volume-snapshot-locations",
    "snapshot locations GC deletes backups' snapshots from, NAME=PROVIDER[?K=V&…],… (STOWAGE_VOLUME_SNAPSHOT_LOCATIONS; default: the config file's)",
    "LOCATIONS",
  ),
  stringFlag(
    "credentials-namespace",
    "namespace of the restic repository key Secrets GC forgets pod volume snapshots with (STOWAGE_CREDENTIALS_NAMESPACE; default velero)",
    "NS",
  ),
  stringFlag(
    "grace-period",
    "on SIGTERM, how long a running run may finish before it is aborted (STOWAGE_GRACE_PERIOD; default 25s)",
    "DURATION",
  ),
];

/** `stowage runner`. */
export const runnerCommand: CommandSpec = {
  path: ["runner"],
  summary: "Run scripts' schedules in the cluster (leader election, metrics, GC)",
  description: `Loads every script in --scripts, runs their schedules on cron behind a coordination.k8s.io Lease (any
number of replicas; each tick runs at most once in total, and a tick missed in a handover is caught up
once), garbage-collects expired backups in the store (--store / STOWAGE_STORE) on the leader, and serves
/healthz, /readyz and /metrics. Logs are JSON lines on stdout. SIGTERM: no new runs; a running one gets
--grace-period, then is aborted and recorded failed. Scripts see the store settings as STOWAGE_STORE
etc. (storeFromEnv()) and connect() finds the in-cluster service account.`,
  args: { usage: "", min: 0, max: 0 },
  flags: FLAGS,
  examples: [
    "stowage runner --scripts /scripts --store s3://backups/prod",
    "stowage runner --scripts ./scripts --metrics-addr 127.0.0.1:8085 --namespace stowage",
  ],
  async run({ flags, settings, env, command }) {
    const setting = (name: string, variable?: string) =>
      flags.string(name) ?? (variable ? env[variable] : undefined);
    const duration = (name: string, variable?: string): number | undefined => {
      const text = setting(name, variable);
      if (text === undefined || text === "") return undefined;
      try {
        return parseDuration(text, `--${name}`);
      } catch (error) {
        throw new UsageError((error as ValidationError).message, command.path);
      }
    };
    const options = {
      scriptsDir: setting("scripts", "STOWAGE_SCRIPTS") ?? "/scripts",
      namespace: setting("namespace", "STOWAGE_NAMESPACE"),
      metricsAddr: setting("metrics-addr", "STOWAGE_METRICS_ADDR") ?? ":8085",
      identity: flags.string("identity"),
      leaseName: setting("lease-name", "STOWAGE_LEASE_NAME"),
      leaseDurationMs: duration("lease-duration", "STOWAGE_LEASE_DURATION"),
      renewDeadlineMs: duration("renew-deadline", "STOWAGE_RENEW_DEADLINE"),
      retryPeriodMs: duration("retry-period", "STOWAGE_RETRY_PERIOD"),
      gcIntervalMs: duration("gc-interval", "STOWAGE_GC_INTERVAL"),
      gracePeriodMs: duration("grace-period", "STOWAGE_GRACE_PERIOD"),
    };
    const snapshotLocationsSetting = setting(
      "volume-snapshot-locations",
      "STOWAGE_VOLUME_SNAPSHOT_LOCATIONS",
    );
    const volumeSnapshotLocations =
      (await settings.snapshotLocations(
        snapshotLocationsSetting === undefined ? undefined : splitList(snapshotLocationsSetting),
      )) ?? [];
    // scripts run in this process: give them the same settings `stowage run` gives a child
    Object.assign(process.env, await scriptEnvironment(settings));
    const { target } = await settings.storeTarget();
    const configured = !(target.kind === "directory" && target.path === DEFAULT_STORE_DIR);
    const { store } = await settings.openStore();
    const cluster = await settings.connect();
    const { startRunner } = await import("../../../runner/runner.ts");
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const credentialsNamespace = setting("credentials-namespace", "STOWAGE_CREDENTIALS_NAMESPACE");
    // GC forgets expired backups' restic snapshots with restic in this container, the backend derived
    // from the store; a location restic cannot use fails those deletions (reported per backup), not the runner
    const podVolumes = { cluster, ...(credentialsNamespace ? { credentialsNamespace } : {}) };
    const runner = await startRunner({
      cluster,
      ...defined,
      volumeSnapshotLocations,
      ...(configured ? { store, podVolumes } : {}),
    });
    const stopped = new Promise<number>((resolve) => {
      let signals = 0;
      const onSignal = () => {
        signals++;
        if (signals > 1) process.exit(EXIT.failed); // a second signal: stop now
        void runner.stop().then(() => resolve(EXIT.ok));
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
    const code = await stopped;
    cluster.close();
    return code;
  },
};
