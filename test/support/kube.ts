import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type Cluster, type ConnectOptions, connect } from "../../lib/index.ts";
import { onCleanup } from "./cleanup.ts";
import { testEnv } from "./env.ts";

/** Connects to the shared test control plane as the admin user. */
export const connectTest = async (options: Omit<ConnectOptions, "kubeconfig"> = {}): Promise<Cluster> => {
  const env = await testEnv();
  const cluster = await connect({ ...options, kubeconfig: env.kube.kubeconfig });
  onCleanup(() => cluster.close());
  return cluster;
};

/** A short random suffix for names unique to one test. */
export const uniqueSuffix = (): string => randomBytes(3).toString("hex");

/**
 * Creates a namespace unique to this test (waiting for the controller-manager to give it its
 * `default` ServiceAccount, so pods are admitted) and deletes it after the test file.
 */
export const makeNamespace = async (
  cluster: Cluster,
  prefix: string,
  labels: Record<string, string> = {},
) => {
  const name = `${prefix}-${uniqueSuffix()}`;
  await cluster.create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  for (let i = 0; i < 100; i++) {
    if (await cluster.tryGet("serviceaccounts", "default", { namespace: name })) break;
    await sleep(100);
  }
  onCleanup(() => cluster.delete("namespaces", name).catch(() => undefined));
  return name;
};
