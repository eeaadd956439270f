/**
 * Repository maintenance: `restic prune` in each namespace's repository, so the data of forgotten
 * snapshots (deleted or expired backups) is freed. Velero runs it every 7 days per repository; here it
 * is a function a runner script puts on cron, and `stowage restic repo prune`. Prune holds the
 * repository's exclusive lock: run it when no backup of that namespace is running.
 */
import type { Cluster } from "../kube/client.ts";
import type { ObjectStore } from "../store/object-store.ts";
import { type ResticBackend, repositoryAddress, resticBackend } from "./backend.ts";
import { DEFAULT_CREDENTIALS_NAMESPACE } from "./keys.ts";
import { type LocalDriver, localDriver, type PruneOutcome } from "./local-driver.ts";
import { findRepositories } from "./repository.ts";

/** Options of {@link pruneRepositories}. */
export interface PruneRepositoriesOptions {
  /** The cluster whose Secrets hold the repository keys. */
  readonly cluster: Cluster;
  /** The backup location whose `restic/<namespace>` repositories are pruned. */
  readonly store: ObjectStore;
  /**
   * The restic backend of that location (`await resticBackend({ s3: <s3Store options> })`).
   * @default derived from `store` (`resticBackend({ store })`: directory stores and `s3Store`s)
   */
  readonly backend?: ResticBackend;
  /** Only these namespaces' repositories. @default every repository in the store */
  readonly namespaces?: readonly string[];
  /** Namespace of the repository key Secrets. @default "velero" */
  readonly credentialsNamespace?: string;
  /** The local driver restic runs through (its binary and cache). @default localDriver() */
  readonly driver?: LocalDriver;
  /** Stops after the current repository (restic is killed); the call then rejects. @default none */
  readonly signal?: AbortSignal;
  /** Called after each repository is pruned. @default no callback */
  readonly onPruned?: (pruned: PrunedRepository) => void;
}

/** One repository pruned. */
export interface PrunedRepository extends PruneOutcome {
  readonly namespace: string;
  readonly repository: string;
}

/** What {@link pruneRepositories} did; a repository that failed does not stop the others. */
export interface PruneRepositoriesResult {
  readonly pruned: PrunedRepository[];
  /** Repositories that could not be pruned (no key, wrong key, locked, unreachable). */
  readonly errors: Array<{ readonly namespace: string; readonly repository: string; readonly error: string }>;
  /** Namespaces asked for whose repository does not exist. */
  readonly skipped: Array<{ readonly namespace: string; readonly reason: string }>;
}

/**
 * Prunes the restic repositories of a backup location, one after the other, with restic on this
 * machine. Partial failure is data: each repository that could not be pruned is in `errors`.
 */
export const pruneRepositories = async (
  options: PruneRepositoriesOptions,
): Promise<PruneRepositoriesResult> => {
  const backend = options.backend ?? (await resticBackend({ store: options.store }));
  const credentialsNamespace = options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const driver = options.driver ?? localDriver();
  const signal = options.signal ? { signal: options.signal } : {};
  const repositories = await findRepositories({
    cluster: options.cluster,
    store: options.store,
    backend,
    credentialsNamespace,
    ...(options.namespaces?.length ? { namespaces: options.namespaces } : {}),
  });
  const result: PruneRepositoriesResult = { pruned: [], errors: [], skipped: [] };
  for (const { namespace, repository, status, key } of repositories) {
    options.signal?.throwIfAborted();
    if (status === "NotInitialized") {
      result.skipped.push({ namespace, reason: `no repository at ${repository}` });
      continue;
    }
    try {
      if (!key) {
        throw new Error(
          `no key for it in the Secrets of namespace ${credentialsNamespace}: is credentialsNamespace right?`,
        );
      }
      const outcome = await driver.pruneRepository(
        { address: repositoryAddress(backend, namespace), key },
        signal,
      );
      const pruned = { namespace, repository, ...outcome };
      result.pruned.push(pruned);
      options.onPruned?.(pruned);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      result.errors.push({ namespace, repository, error: (error as Error)?.message ?? String(error) });
    }
  }
  return result;
};
