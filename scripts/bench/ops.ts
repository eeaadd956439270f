/** The measured operations; each runs inside a worker process (see `worker.ts`). */
import {
  type BackupItemAction,
  backup,
  type Cluster,
  fsStore,
  isAlreadyExists,
  type KubeObject,
  type ObjectStore,
  restore,
  s3Store,
} from "stowage";
import { createLimiter } from "../../lib/kube/index.ts";
import { listedResources, NEVER_RESTORED } from "./resources.ts";
import type { StoreTarget, WorkerRequest } from "./types.ts";

/** LIST concurrency of both backup (its default) and the raw baseline. */
export const LIST_CONCURRENCY = 8;
/** LIST page size of both. */
export const PAGE_SIZE = 500;
/** Create concurrency of both restore (its default) and the raw baseline. */
export const CREATE_CONCURRENCY = 16;

/** Outcome of one operation, before the worker adds its RSS. */
export interface OpOutcome {
  readonly items: number;
  readonly phase: string;
  readonly errors: number;
}

/** A timed operation: `prepare` runs before the clock starts, `run` is measured. */
export interface TimedOp {
  run(): Promise<OpOutcome>;
}

/** Opens the store a worker writes to or reads from. */
export const openStore = (target: StoreTarget): ObjectStore =>
  target.kind === "fs"
    ? fsStore(target.dir)
    : s3Store({
        bucket: target.bucket,
        prefix: target.prefix,
        region: target.minio.region,
        endpoint: target.minio.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: target.minio.accessKey, secretAccessKey: target.minio.secretKey },
      });

/** `n` trivial item actions that hand the item back unchanged. */
export const noopActions = (n: number): BackupItemAction[] =>
  Array.from({ length: n }, (_, i) => ({ name: `bench.io/noop${i + 1}`, execute: ({ item }) => ({ item }) }));

/**
 * The raw LIST baseline: the same collections as the backup, paginated with the same client, page size
 * and concurrency, writing nothing. Discovery is part of it, as it is part of a backup.
 */
export const rawList = async (cluster: Cluster, namespaces: readonly string[]): Promise<OpOutcome> => {
  const resources = listedResources(await cluster.discovery({ refresh: true }));
  const limiter = createLimiter(LIST_CONCURRENCY);
  let items = 0;
  await Promise.all(
    resources.flatMap((resource) =>
      namespaces.map((namespace) =>
        limiter.run(async () => {
          for await (const page of cluster.listPages(resource, { namespace, limit: PAGE_SIZE }))
            items += page.items.length;
        }),
      ),
    ),
  );
  return { items, phase: "ok", errors: 0 };
};

const stripForCreate = (item: KubeObject, namespace: string): KubeObject => {
  const { status: _status, ...rest } = item;
  const copy: KubeObject = {
    ...rest,
    metadata: {
      name: item.metadata?.name ?? "",
      namespace,
      ...(item.metadata?.labels ? { labels: item.metadata.labels } : {}),
      ...(item.metadata?.annotations ? { annotations: item.metadata.annotations } : {}),
    },
  };
  if (item.kind === "Service" && copy.spec && typeof copy.spec === "object") {
    const { clusterIP: _ip, clusterIPs: _ips, ...spec } = copy.spec as Record<string, unknown>;
    copy.spec = spec;
  }
  return copy;
};

/**
 * The raw create baseline. Untimed `prepare`: LIST the source namespaces (what the backup holds),
 * reset metadata as a restore does. Timed `run`: create the target namespaces, then every object at
 * the restore's concurrency. Objects the namespace controllers create themselves (the `default`
 * ServiceAccount, `kube-root-ca.crt`) answer AlreadyExists, as they do for the restore.
 */
export const prepareRawCreate = async (
  cluster: Cluster,
  mapping: Readonly<Record<string, string>>,
): Promise<TimedOp> => {
  const resources = listedResources(await cluster.discovery({ refresh: true })).filter(
    (r) => !NEVER_RESTORED.has(r.groupResource),
  );
  const work: Array<{ resource: (typeof resources)[number]; object: KubeObject }> = [];
  for (const [source, target] of Object.entries(mapping))
    for (const resource of resources)
      for await (const page of cluster.listPages(resource, { namespace: source, limit: PAGE_SIZE }))
        for (const item of page.items) work.push({ resource, object: stripForCreate(item, target) });
  return {
    async run() {
      const limiter = createLimiter(CREATE_CONCURRENCY);
      let errors = 0;
      let items = 0;
      const create = (ref: Parameters<Cluster["create"]>[0], object: KubeObject) =>
        limiter.run(async () => {
          try {
            await cluster.create(ref, object);
            items++;
          } catch (error) {
            if (isAlreadyExists(error)) items++;
            else errors++;
          }
        });
      await Promise.all(
        Object.values(mapping).map((name) =>
          create("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }),
        ),
      );
      await Promise.all(work.map(({ resource, object }) => create(resource, object)));
      return { items, phase: "ok", errors };
    },
  };
};

/** A timed op on the store of `target`, which is opened before the clock starts. */
const withStore = (target: StoreTarget, run: (store: ObjectStore) => Promise<OpOutcome>): TimedOp => {
  const store = openStore(target);
  return { run: () => run(store) };
};

/** Prepares the measured part of one worker request. */
export const prepare = async (cluster: Cluster, request: WorkerRequest): Promise<TimedOp> => {
  switch (request.op) {
    case "idle":
      return { run: async () => ({ items: 0, phase: "ok", errors: 0 }) };
    case "raw-list":
      return { run: () => rawList(cluster, request.namespaces) };
    case "backup":
      return withStore(request.store, async (store) => {
        const result = await backup({
          cluster,
          store,
          name: request.name,
          includedNamespaces: [...request.namespaces],
          actions: noopActions(request.actions),
          listConcurrency: LIST_CONCURRENCY,
          pageSize: PAGE_SIZE,
        });
        return { items: result.counts.itemsBackedUp, phase: result.phase, errors: result.counts.errors };
      });
    case "raw-create":
      return prepareRawCreate(cluster, request.mapping);
    case "restore":
      return withStore(request.store, async (store) => {
        const result = await restore({
          cluster,
          store,
          backupName: request.backupName,
          namespaceMapping: request.mapping,
          concurrency: CREATE_CONCURRENCY,
        });
        return { items: result.counts.itemsRestored, phase: result.phase, errors: result.counts.errors };
      });
  }
};
