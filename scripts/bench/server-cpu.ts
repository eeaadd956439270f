/**
 * CPU time of the control plane (kube-apiserver, etcd) read from `/proc/<pid>/stat`, so the bench can
 * show where the time of an operation goes: the client, or the server it waits for. Linux only; other
 * platforms report nothing.
 */
import { readFileSync } from "node:fs";

/** Linux's USER_HZ: `/proc/<pid>/stat` counts CPU time in 1/100 s. */
const TICK_MS = 10;

/** CPU milliseconds of the control plane, by component. */
export interface ServerCpu {
  readonly apiserver: number;
  readonly etcd: number;
}

const read = (pid: number): { name: string; ms: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "<pid> (<comm>) <state> …": utime and stime are fields 14 and 15
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { name, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined;
  }
};

/** CPU used so far by the kube-apiserver and etcd processes among `pids`; undefined off Linux. */
export const serverCpu = (pids: readonly number[]): ServerCpu | undefined => {
  if (process.platform !== "linux" || pids.length === 0) return undefined;
  let apiserver = 0;
  let etcd = 0;
  for (const pid of pids) {
    const proc = read(pid);
    if (proc?.name === "kube-apiserver") apiserver += proc.ms;
    else if (proc?.name === "etcd") etcd += proc.ms;
  }
  return { apiserver, etcd };
};

/** `after - before`, or undefined when either is. */
export const serverCpuSince = (before: ServerCpu | undefined, after: ServerCpu | undefined) =>
  before && after
    ? { apiserver: after.apiserver - before.apiserver, etcd: after.etcd - before.etcd }
    : undefined;

/** CPU used so far by every process among `pids`, whatever it is (the whole control plane). */
const totalCpuMs = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => sum + (read(pid)?.ms ?? 0), 0);

/** Options of {@link waitForQuiet}. */
export interface QuietOptions {
  /** Share of one core the control plane may use and still count as quiet. @default 0.2 */
  readonly maxCoreShare?: number;
  /** Window over which that share is measured. @default 3000 */
  readonly windowMs?: number;
  /** Give up (and report `quiet: false`) after this long. @default 120000 */
  readonly timeoutMs?: number;
}

/**
 * Waits until the control plane among `pids` is quiet — under `maxCoreShare` of a core over `windowMs` —
 * so an operation does not pay for what the previous one set off (the namespace and garbage collector
 * controllers after a deletion, the apiserver's own GC, the ReplicaSets of a fresh seed). Resolves at
 * once off Linux or without pids.
 */
export const waitForQuiet = async (
  pids: readonly number[],
  options: QuietOptions = {},
): Promise<{ quiet: boolean; waitedMs: number }> => {
  if (process.platform !== "linux" || pids.length === 0) return { quiet: true, waitedMs: 0 };
  const share = options.maxCoreShare ?? 0.2;
  const windowMs = options.windowMs ?? 3000;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const began = Date.now();
  for (;;) {
    const before = totalCpuMs(pids);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if (totalCpuMs(pids) - before < share * windowMs) return { quiet: true, waitedMs: Date.now() - began };
    if (Date.now() > deadline) return { quiet: false, waitedMs: Date.now() - began };
  }
};
