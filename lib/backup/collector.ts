import type { Cluster } from "../kube/client.ts";
import type { ApiResource } from "../kube/discovery.ts";
import { createLimiter } from "../kube/limiter.ts";
import type { KubeObject } from "../kube/types.ts";
import type { CollectionPlan } from "./plan.ts";

/**
 * Iterates `source` one element ahead: the next page is being fetched while the caller works on the
 * current one, so LIST round trips overlap with encoding and compression.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const current = await next;
    if (current.done) return;
    next = iterator.next();
    next.catch(() => {}); // observed when awaited on the next turn
    yield current.value;
  }
}

/**
 * Lists every resource of the plan — concurrently, page by page — and hands each item to `onItem`
 * as it arrives, so memory holds at most a page per concurrent LIST. `orderedResources` items are
 * handed over first, in the given order.
 */
export const collect = async (deps: {
  cluster: Cluster;
  plan: CollectionPlan;
  concurrency: number;
  pageSize: number;
  signal: AbortSignal;
  orderedResources: Readonly<Record<string, string>>;
  onItem: (resource: ApiResource, item: KubeObject) => Promise<void>;
  onListed: (resource: ApiResource, count: number) => void;
  onResourceError: (resource: ApiResource, namespace: string | undefined, error: unknown) => void;
}): Promise<void> => {
  const { cluster, plan } = deps;
  const limiter = createLimiter(deps.concurrency);

  // orderedResources: `pods: "ns/a,ns/b"` → these items first, fetched by name
  for (const [name, list] of Object.entries(deps.orderedResources)) {
    const resource = plan.discovery.find(name);
    if (!resource) continue;
    for (const entry of list
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      const [ns, itemName] = resource.namespaced
        ? (entry.split("/") as [string, string])
        : [undefined, entry];
      const item = await cluster.tryGet(resource, itemName, { namespace: ns, signal: deps.signal });
      if (item)
        await deps.onItem(resource, { apiVersion: resource.groupVersion, kind: resource.kind, ...item });
    }
  }

  const scopes = (resource: ApiResource): (string | undefined)[] =>
    resource.namespaced && plan.namespaces ? [...plan.namespaces] : [undefined];

  await Promise.all(
    plan.resources.flatMap((resource) =>
      scopes(resource).flatMap((namespace) =>
        plan.selectors.map((labelSelector) =>
          limiter.run(async () => {
            let count = 0;
            try {
              const pages = cluster.listPages(resource, {
                namespace,
                labelSelector,
                limit: deps.pageSize,
                signal: deps.signal,
              });
              for await (const page of readAhead(pages)) {
                for (const item of page.items) {
                  count++;
                  await deps.onItem(resource, item);
                }
              }
            } catch (error) {
              if (deps.signal.aborted) throw error;
              deps.onResourceError(resource, namespace, error);
            }
            deps.onListed(resource, count);
          }),
        ),
      ),
    ),
  );
};
