import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ControlPlane, startControlPlane } from "./control-plane.ts";
import { type MinioServer, startMinioServer } from "./minio-server.ts";
import { type Moto, startMoto } from "./moto.ts";
import { Supervisor } from "./processes.ts";

/** What the tests of one `npm test` run share: a control plane, MinIO and moto. */
export interface TestEnv {
  readonly dir: string;
  readonly kube: Omit<ControlPlane, "processes">;
  readonly minio: Omit<MinioServer, "process">;
  readonly moto: Pick<Moto, "endpoint" | "region" | "credentials">;
  /** pids of every component process (used by the teardown test). */
  readonly pids: readonly number[];
}

export interface RunningEnv {
  readonly env: TestEnv;
  stop(): Promise<void>;
}

/** Starts every component in a fresh temp dir; all of it is torn down by `stop()` or when this process dies. */
export const startEnv = async (options: { log?: (line: string) => void } = {}): Promise<RunningEnv> => {
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "stowage-test-"));
  const supervisor = new Supervisor(dir);
  const began = Date.now();
  try {
    const [kube, minio, moto] = await Promise.all([
      startControlPlane(supervisor, dir, { kubeletStreaming: true }),
      startMinioServer(supervisor, dir),
      startMoto(supervisor),
    ]);
    const { processes: _p, ...kubeInfo } = kube;
    const { process: _m, ...minioInfo } = minio;
    const env: TestEnv = {
      dir,
      kube: kubeInfo,
      minio: minioInfo,
      moto: { endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials },
      pids: supervisor.pids,
    };
    log(
      `stowage test env: kube-apiserver ${kube.server} (control plane ready in ${(kube.startupMs / 1000).toFixed(1)} s), MinIO ${minio.endpoint}, moto ${moto.endpoint}; all up in ${((Date.now() - began) / 1000).toFixed(1)} s`,
    );
    return { env, stop: () => supervisor.stop() };
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
};

let shared: Promise<TestEnv> | undefined;

/**
 * The shared environment: the one `npm test`'s global setup started (found through
 * `STOWAGE_TEST_ENV`), or — when a test file runs on its own — one started for this process and
 * stopped when it exits.
 */
export const testEnv = (): Promise<TestEnv> => {
  shared ??= (async () => {
    const file = process.env.STOWAGE_TEST_ENV;
    if (file) return JSON.parse(readFileSync(file, "utf8")) as TestEnv;
    const running = await startEnv({ log: (line) => process.stderr.write(`${line}\n`) });
    process.once("beforeExit", () => void running.stop());
    return running.env;
  })();
  return shared;
};

/** Writes the env where test processes find it. */
export const publishEnv = (env: TestEnv): string => {
  const file = join(env.dir, "env.json");
  writeFileSync(file, JSON.stringify(env));
  process.env.STOWAGE_TEST_ENV = file;
  return file;
};
