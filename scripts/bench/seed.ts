/** Seeding the population, and creating / deleting bench namespaces. */
import { setTimeout as sleep } from "node:timers/promises";
import { type Cluster, isAlreadyExists, isNotFound } from "stowage";
import { createLimiter } from "../../lib/kube/index.ts";
import { rawList } from "./ops.ts";
import { CRD_NAME, population, widgetCrd } from "./population.ts";

/** Label on every namespace a bench run creates, so a run can find (and remove) its own. */
export const RUN_LABEL = "bench.stowage.io/run";

/** Creates namespaces labelled with the run id. */
export const createNamespaces = async (cluster: Cluster, names: readonly string[], runId: string) => {
  await Promise.all(
    names.map((name) =>
      cluster.create("namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels: { [RUN_LABEL]: runId } },
      }),
    ),
  );
};

/** Installs the Widget CRD (if missing) and waits until it is Established and discoverable. */
export const ensureCrd = async (cluster: Cluster): Promise<boolean> => {
  let created = true;
  try {
    await cluster.create("customresourcedefinitions.apiextensions.k8s.io", widgetCrd);
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    created = false;
  }
  for (let i = 0; i < 300; i++) {
    const crd = await cluster.get("customresourcedefinitions.apiextensions.k8s.io", CRD_NAME);
    const conditions = (crd.status as { conditions?: { type: string; status: string }[] } | undefined)
      ?.conditions;
    if (conditions?.some((c) => c.type === "Established" && c.status === "True")) {
      if ((await cluster.discovery({ refresh: true })).find(CRD_NAME)) return created;
    }
    await sleep(100);
  }
  throw new Error(`CRD ${CRD_NAME} was not Established within 30 s`);
};

/** Seeds `objects` objects into `namespaces` (which must exist) at concurrency 16. */
export const seed = async (
  cluster: Cluster,
  objects: number,
  namespaces: readonly string[],
  onProgress: (done: number) => void,
): Promise<void> => {
  const limiter = createLimiter(16);
  let done = 0;
  let failure: unknown;
  const pending = new Set<Promise<void>>();
  for (const { resource, object } of population(objects, namespaces)) {
    if (failure !== undefined) break;
    // keep at most a few hundred creates in flight so 100k objects are never all in memory
    while (pending.size >= 256) await Promise.race(pending);
    const task: Promise<void> = limiter
      .run(() => cluster.create(resource, object))
      .then(
        () => undefined,
        (error: unknown) => {
          if (!isAlreadyExists(error)) failure ??= error;
        },
      )
      .then(() => {
        done++;
        onProgress(done);
        pending.delete(task);
      });
    pending.add(task);
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
};

/**
 * Waits until the controllers are done reacting to the seed (ReplicaSets of Deployments, Endpoints and
 * EndpointSlices of Services): the item count over the namespaces is the same three times in a row,
 * 2 s apart (twice was not enough: a rate-limited controller pauses, and a 100k run once measured while
 * ReplicaSets were still being made).
 */
export const settle = async (cluster: Cluster, namespaces: readonly string[]): Promise<number> => {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 120; i++) {
    const { items } = await rawList(cluster, namespaces);
    same = items === last ? same + 1 : 0;
    if (same === 2) return items;
    last = items;
    await sleep(2000);
  }
  return last;
};

/** Deletes namespaces and waits until they are gone (the namespace controller empties them first). */
export const deleteNamespaces = async (
  cluster: Cluster,
  names: readonly string[],
  timeoutMs = 600_000,
): Promise<void> => {
  await Promise.all(
    names.map((name) =>
      cluster.delete("namespaces", name).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      }),
    ),
  );
  const deadline = Date.now() + timeoutMs;
  let left = [...names];
  while (left.length > 0) {
    if (Date.now() > deadline) throw new Error(`namespaces still terminating: ${left.join(", ")}`);
    const present = await Promise.all(left.map((name) => cluster.tryGet("namespaces", name)));
    left = left.filter((_, i) => present[i] !== undefined);
    if (left.length > 0) await sleep(500);
  }
};
