/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's rules: a holder renews every
 * retry period; a candidate takes the Lease over only after it has watched the same record for a whole
 * lease duration on its own clock (so clock skew between replicas does not matter); every write is a
 * compare-and-swap on resourceVersion. On top of that each cron tick is claimed on the Lease itself
 * (`stowage.dev/ticks`), in the same CAS write that checks we still hold it: a tick runs once in total,
 * even if a paused old leader wakes up believing it still leads. Each claim also tells the caller the
 * tick claimed before it, so the ticks in between (run by nobody) are noticed by exactly one replica.
 * The annotation keeps one entry per registered schedule: entries of other schedules are dropped.
 */
import {
  AmbiguousRequestError,
  type Cluster,
  ConflictError,
  isAlreadyExists,
  isNotFound,
  type KubeObject,
} from "../lib/index.ts";
import { isRecord } from "../lib/util/is-record.ts";
import type { Logger } from "./log.ts";

const LEASES = "leases.coordination.k8s.io";
const TICKS_ANNOTATION = "stowage.dev/ticks";

/** Options of {@link createLeaderElector}. */
export interface LeaderElectorOptions {
  readonly cluster: Cluster;
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease. @default "stowage-runner" */
  readonly name?: string;
  /** This replica's identity (holderIdentity). */
  readonly identity: string;
  /** How long a Lease is valid without renewal. @default 15000 */
  readonly leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down. @default 10000 */
  readonly renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew. @default 2000 */
  readonly retryPeriodMs?: number;
  readonly log: Logger;
  /** Called when leadership changes. */
  readonly onChange?: (leading: boolean) => void;
  /**
   * The schedules whose last ticks the Lease keeps: writes drop the entries of any other schedule (one
   * that was removed), so the annotation stays bounded. @default undefined: entries are never dropped
   */
  readonly schedules?: readonly string[];
}

/** A tick claimed: the tick of the same schedule claimed before it, if the Lease knew one. */
export interface TickClaim {
  readonly previous: Date | undefined;
}

/** A running election. */
export interface LeaderElector {
  readonly identity: string;
  readonly isLeader: boolean;
  /** The holder last seen on the Lease (may be this replica). */
  readonly holder: string | undefined;
  /** Claims `tick` of `schedule` for this replica: the claim, or why not. */
  claimTick(schedule: string, tick: Date): Promise<TickClaim | string>;
  /**
   * The last claimed tick of every schedule, read from the Lease now. When leading, also drops the
   * entries of schedules that are not in `schedules` (best effort: the next claim drops them too).
   */
  lastTicks(): Promise<ReadonlyMap<string, Date>>;
  /** Stops campaigning; with `release`, gives the Lease up so another replica takes over at once. */
  stop(options?: { release?: boolean }): Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (date: Date) => date.toISOString().replace(/Z$/, "000Z");

const specOf = (lease: KubeObject): LeaseSpec => (lease.spec ?? {}) as LeaseSpec;

const ticksOf = (lease: KubeObject): Record<string, string> => {
  try {
    const raw = lease.metadata?.annotations?.[TICKS_ANNOTATION];
    const parsed = raw ? (JSON.parse(raw) as unknown) : {};
    if (!isRecord(parsed)) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === "string" && !Number.isNaN(new Date(entry[1]).getTime()),
      ),
    );
  } catch {
    return {};
  }
};

/** Starts campaigning at once; resolves after the first attempt. */
export const createLeaderElector = async (options: LeaderElectorOptions): Promise<LeaderElector> => {
  const { cluster, namespace, identity, log } = options;
  const name = options.name ?? "stowage-runner";
  const known = options.schedules ? new Set(options.schedules) : undefined;
  /** The ticks map as it should be written: only known schedules' entries. */
  const pruned = (ticks: Record<string, string>): Record<string, string> =>
    known ? Object.fromEntries(Object.entries(ticks).filter(([schedule]) => known.has(schedule))) : ticks;
  const withTicks = (lease: KubeObject, ticks: Record<string, string>): KubeObject => ({
    ...lease,
    metadata: {
      ...lease.metadata,
      annotations: { ...lease.metadata?.annotations, [TICKS_ANNOTATION]: JSON.stringify(ticks) },
    },
  });
  const leaseDurationMs = options.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const retryPeriodMs = options.retryPeriodMs ?? 2_000;
  let leading = false;
  let holder: string | undefined;
  let observed: { key: string; at: number } | undefined;
  let lastRenewal = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // one Lease write at a time from this replica (renewals and tick claims share the resourceVersion)
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };

  const setLeading = (value: boolean, why: string) => {
    if (value === leading) return;
    leading = value;
    log.info(value ? "became the leader" : "stopped leading", {
      lease: `${namespace}/${name}`,
      identity,
      why,
    });
    options.onChange?.(value);
  };

  const leaseObject = (spec: LeaseSpec, base?: KubeObject): KubeObject => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { ...base?.metadata, name, namespace },
    spec: { ...(base ? specOf(base) : {}), ...spec, leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000) },
  });

  /** client-go's tryAcquireOrRenew: true when this replica holds the Lease afterwards. */
  const tryAcquireOrRenew = async (): Promise<boolean> => {
    const now = new Date();
    const current = await cluster.tryGet(LEASES, name, { namespace });
    if (!current) {
      try {
        await cluster.create(
          LEASES,
          leaseObject({
            holderIdentity: identity,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          }),
          { namespace },
        );
        holder = identity;
        return true;
      } catch (error) {
        // a create whose answer was lost may have made the Lease: not leader this round; the next round
        // reads the Lease back and renews it if it holds our identity
        if (isAlreadyExists(error) || error instanceof AmbiguousRequestError) return false;
        throw error;
      }
    }
    const spec = specOf(current);
    holder = spec.holderIdentity ?? undefined;
    const key = `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}`;
    if (observed?.key !== key) observed = { key, at: Date.now() };
    const durationMs = (spec.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
    const heldByOther = !!spec.holderIdentity && spec.holderIdentity !== identity;
    if (heldByOther && observed.at + durationMs > Date.now()) return false;
    const renewing = spec.holderIdentity === identity;
    const next = leaseObject(
      {
        holderIdentity: identity,
        renewTime: microTime(now),
        acquireTime: renewing ? (spec.acquireTime ?? microTime(now)) : microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      },
      current,
    );
    try {
      await cluster.update(LEASES, next, { namespace });
      holder = identity;
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  };

  const round = async () => {
    try {
      const held = await serial(tryAcquireOrRenew);
      if (held) {
        lastRenewal = Date.now();
        setLeading(true, "acquired or renewed the lease");
      } else {
        setLeading(false, `the lease is held by ${holder ?? "another replica"}`);
      }
    } catch (error) {
      log.warn("lease update failed", { lease: `${namespace}/${name}`, error: (error as Error).message });
      if (leading && Date.now() - lastRenewal > renewDeadlineMs) {
        setLeading(false, `could not renew for ${renewDeadlineMs} ms`);
      }
    }
  };

  const loop = async () => {
    await round();
    if (!stopped) timer = setTimeout(() => void loop(), retryPeriodMs);
  };
  await round();
  if (!stopped) timer = setTimeout(() => void loop(), retryPeriodMs);

  const claimTick = (schedule: string, tick: Date): Promise<TickClaim | string> =>
    serial(async () => {
      if (!leading) return `not the leader (the lease is held by ${holder ?? "nobody yet"})`;
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await cluster.get(LEASES, name, { namespace });
        const spec = specOf(current);
        if (spec.holderIdentity !== identity) {
          setLeading(false, `the lease moved to ${spec.holderIdentity ?? "nobody"}`);
          return `not the leader any more (the lease is held by ${spec.holderIdentity ?? "nobody"})`;
        }
        const ticks = ticksOf(current);
        const last = ticks[schedule];
        if (last !== undefined && new Date(last).getTime() >= tick.getTime()) {
          return `tick ${tick.toISOString()} was already taken (last claimed ${last})`;
        }
        const next = leaseObject(
          { renewTime: microTime(new Date()) },
          withTicks(current, { ...pruned(ticks), [schedule]: tick.toISOString() }),
        );
        try {
          await cluster.update(LEASES, next, { namespace });
          lastRenewal = Date.now();
          return { previous: last === undefined ? undefined : new Date(last) };
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      return "the lease kept changing while claiming the tick";
    });

  const lastTicks = (): Promise<ReadonlyMap<string, Date>> =>
    serial(async () => {
      const current = await cluster.tryGet(LEASES, name, { namespace });
      if (!current) return new Map();
      const ticks = ticksOf(current);
      const kept = pruned(ticks);
      const stale = Object.keys(ticks).filter((schedule) => !(schedule in kept));
      if (stale.length > 0 && leading && specOf(current).holderIdentity === identity) {
        try {
          await cluster.update(LEASES, leaseObject({}, withTicks(current, kept)), { namespace });
          log.info("dropped the last ticks of schedules no longer defined", {
            lease: `${namespace}/${name}`,
            schedules: stale,
          });
        } catch (error) {
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      return new Map(Object.entries(ticks).map(([schedule, at]) => [schedule, new Date(at)]));
    });

  return {
    identity,
    get isLeader() {
      return leading;
    },
    get holder() {
      return holder;
    },
    claimTick,
    lastTicks,
    async stop({ release = true } = {}) {
      stopped = true;
      clearTimeout(timer);
      if (!release || !leading) return;
      await serial(async () => {
        try {
          const current = await cluster.get(LEASES, name, { namespace });
          if (specOf(current).holderIdentity !== identity) return;
          // client-go's ReleaseOnCancel: an empty holder lets the next candidate acquire at once
          await cluster.update(
            LEASES,
            leaseObject(
              { holderIdentity: null, renewTime: microTime(new Date()), acquireTime: null },
              current,
            ),
            { namespace },
          );
          log.info("released the lease", { lease: `${namespace}/${name}`, identity });
        } catch (error) {
          if (!isNotFound(error)) {
            log.warn("could not release the lease", { error: (error as Error).message });
          }
        }
      });
      setLeading(false, "stopped");
    },
  };
};
