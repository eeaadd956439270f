/**
 * Looks at the pods a restore's exec hooks wait for, through the apiserver: one LIST per namespace per
 * interval answers every pod waited for there, so a restore of many hooked pods does not poll each
 * one (its item creation shares the cluster's limiter with these looks).
 */
import { AbortError } from "../errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { sleep } from "../util/poll.ts";

/** Reads pods in batches. */
export interface PodObserver {
  /**
   * The pod `namespace/name` as the next look finds it (undefined when it does not exist): at once when
   * no look is under way, else at the next one. Rejects with what the LIST threw, or AbortError.
   */
  observe(namespace: string, name: string): Promise<KubeObject | undefined>;
}

interface Waiter {
  readonly name: string;
  resolve(pod: KubeObject | undefined): void;
  reject(error: unknown): void;
}

/**
 * Creates an observer: `list(namespace)` returns the pods that may be waited for there (the restore's
 * own, by label), looked at every `intervalMs` while anyone waits.
 */
export const createPodObserver = (deps: {
  list(namespace: string, signal: AbortSignal): Promise<KubeObject[]>;
  readonly intervalMs: number;
  readonly signal: AbortSignal;
}): PodObserver => {
  const { signal } = deps;
  let waiting = new Map<string, Waiter[]>();
  let looking = false;
  const aborted = () => new AbortError("waiting for restored pods was cancelled", { cause: signal.reason });

  const look = async () => {
    looking = true;
    try {
      while (waiting.size > 0 && !signal.aborted) {
        const batch = waiting;
        waiting = new Map();
        await Promise.all(
          [...batch].map(async ([namespace, waiters]) => {
            try {
              const pods = new Map((await deps.list(namespace, signal)).map((p) => [p.metadata?.name, p]));
              for (const waiter of waiters) waiter.resolve(pods.get(waiter.name));
            } catch (error) {
              for (const waiter of waiters) waiter.reject(error);
            }
          }),
        );
        await sleep(deps.intervalMs, signal);
      }
    } finally {
      looking = false;
      if (signal.aborted) {
        for (const waiters of waiting.values()) for (const waiter of waiters) waiter.reject(aborted());
        waiting.clear();
      }
    }
  };

  return {
    observe(namespace, name) {
      if (signal.aborted) return Promise.reject(aborted());
      return new Promise((resolve, reject) => {
        const waiters = waiting.get(namespace) ?? [];
        waiters.push({ name, resolve, reject });
        waiting.set(namespace, waiters);
        if (!looking) void look();
      });
    },
  };
};
