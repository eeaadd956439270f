// node --test --test-global-setup: one control plane, MinIO and moto for the whole `npm test` run.
import { publishEnv, type RunningEnv, startEnv } from "./env.ts";

let running: RunningEnv | undefined;

export async function globalSetup(): Promise<void> {
  process.stderr.write("stowage: starting etcd, kube-apiserver, kube-controller-manager, MinIO and moto…\n");
  running = await startEnv({ log: (line) => process.stderr.write(`${line}\n`) });
  publishEnv(running.env);
}

export async function globalTeardown(): Promise<void> {
  await running?.stop();
}
