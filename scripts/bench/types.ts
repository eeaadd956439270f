/** Types shared by the bench driver (`run.ts`) and its worker processes (`worker.ts`). */
import type { ServerCpu } from "./server-cpu.ts";

/** How a worker reaches MinIO (the harness's MinIO or any S3-compatible endpoint). */
export interface MinioTarget {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
}

/** Where a backup is written / read from. */
export type StoreTarget =
  | { readonly kind: "fs"; readonly dir: string }
  | { readonly kind: "s3"; readonly minio: MinioTarget; readonly bucket: string; readonly prefix: string };

interface WorkerBase {
  readonly kubeconfig: string;
  /** Control-plane processes whose CPU the worker samples around the measured section (Linux). */
  readonly serverPids?: readonly number[];
}

/** One measured operation, run in its own process so its peak RSS is its own. */
export type WorkerRequest = WorkerBase &
  (
    | { readonly op: "idle" }
    | { readonly op: "raw-list"; readonly namespaces: readonly string[] }
    | {
        readonly op: "backup";
        readonly namespaces: readonly string[];
        readonly store: StoreTarget;
        readonly name: string;
        readonly actions: number;
      }
    | { readonly op: "raw-create"; readonly mapping: Readonly<Record<string, string>> }
    | {
        readonly op: "restore";
        readonly store: StoreTarget;
        readonly backupName: string;
        readonly mapping: Readonly<Record<string, string>>;
      }
  );

export type WorkerOp = WorkerRequest["op"];

/** What a worker prints (one JSON line on stdout). */
export interface WorkerResult {
  readonly op: WorkerOp;
  /** Wall time of the measured section (after `connect()`). */
  readonly durationMs: number;
  /** Items listed / backed up / created / restored. */
  readonly items: number;
  /** CPU time of the worker (user + system, all threads) during the measured section. */
  readonly cpuMs: number;
  /** CPU time of kube-apiserver and etcd during the measured section; undefined off Linux. */
  readonly serverCpuMs: ServerCpu | undefined;
  /** `process.resourceUsage().maxRSS` of the worker, in MB. */
  readonly maxRssMb: number;
  /** Backup/restore phase, or "ok" for the raw baselines. */
  readonly phase: string;
  /** Errors reported by the operation (failed creates for raw-create). */
  readonly errors: number;
  /** `NODE_OPTIONS` and `MALLOC_*` variables the worker ran with (none: Node's and glibc's defaults). */
  readonly memoryEnv: Readonly<Record<string, string>>;
}

/** The measured variants, one row each in the report. */
export type Variant =
  | "raw-list"
  | "backup-fs"
  | "backup-fs-1-action"
  | "backup-fs-10-actions"
  | "backup-s3"
  | "raw-create"
  | "restore-fs"
  // the same operations in a worker with the runner image's memory settings (Dockerfile ENV)
  | "raw-list-runner"
  | "backup-fs-runner"
  | "restore-fs-runner";

/** One sample of one variant in one round. */
export interface Sample extends WorkerResult {
  readonly variant: Variant;
  readonly round: number;
  /** The control plane was quiet when it started (false: the bench gave up waiting; see `waitForQuiet`). */
  readonly quietBefore: boolean;
}
