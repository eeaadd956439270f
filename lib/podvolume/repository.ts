/**
 * Per-namespace restic repositories of a backup location: `initRepository` (Ark's `restic repo init
 * --key-data/--key-file/--key-size`), `getRepositories` (what exists, and which key opens it), and the
 * memoised opener backup and restore use.
 */
import { readFile } from "node:fs/promises";
import { ConfigError, ValidationError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { openCatalog } from "../store/catalog.ts";
import { validateNamespaceName } from "../store/names.ts";
import type { ObjectStore } from "../store/object-store.ts";
import { type RepositoryAddress, type ResticBackend, repositoryAddress } from "./backend.ts";
import type { PodVolumeDriver, Repository } from "./driver.ts";
import {
  DEFAULT_CREDENTIALS_NAMESPACE,
  findRepositoryKey,
  generateKey,
  type KeyRef,
  RepositoryKey,
  removeRepositoryKey,
  STOWAGE_KEY_SECRET,
  storeRepositoryKey,
} from "./keys.ts";
import { localDriver } from "./local-driver.ts";
import { ResticError } from "./output.ts";

/** Ark's default size of a generated key. */
export const DEFAULT_KEY_SIZE = 1024;

/** Options of {@link initRepository}. Give at most one of `keyData`, `keyFile`, `keySize`. */
export interface InitRepositoryOptions {
  readonly cluster: Cluster;
  /** The backup location's restic backend (see `resticBackend`). */
  readonly backend: ResticBackend;
  /** The volume namespace whose repository is initialised. */
  readonly namespace: string;
  /** The key itself. @default a generated key */
  readonly keyData?: string;
  /** A file holding the key (one trailing newline is dropped, as restic's `--password-file` does). @default a generated key */
  readonly keyFile?: string;
  /** Characters of a generated key. @default 1024 */
  readonly keySize?: number;
  /** Namespace of the key Secrets. @default "velero" */
  readonly credentialsNamespace?: string;
  /** Where restic runs. @default localDriver() (restic on PATH) */
  readonly driver?: PodVolumeDriver;
  readonly signal?: AbortSignal;
}

/**
 * `ensureRepository` of one repository, one at a time in this process: two runs that find the same
 * repository missing would otherwise both `restic init` it at once, and restic's own check (is there a
 * `config`?) does not stop two inits that start together.
 */
const ensuring = new Map<string, Promise<unknown>>();
const ensureOneAtATime = async (
  driver: PodVolumeDriver,
  repository: Repository,
  options: { readonly node?: string; readonly signal?: AbortSignal },
): Promise<{ readonly created: boolean }> => {
  const url = repository.address.url;
  const before = ensuring.get(url) ?? Promise.resolve();
  const run = before.then(
    () => driver.ensureRepository(repository, options),
    () => driver.ensureRepository(repository, options),
  );
  const settled = run.catch(() => undefined);
  ensuring.set(url, settled);
  try {
    return await run;
  } finally {
    if (ensuring.get(url) === settled) ensuring.delete(url);
  }
};

/**
 * Whether a failed `ensureRepository` proves the repository was not created with the key just stored:
 * only a wrong key does (restic opened an existing repository, and the key did not; init never ran).
 * Any other failure may come after `restic init` wrote the repository (a killed container, a lost
 * reply), and removing the key then would make it unreadable for good; a key kept for a repository
 * that does not exist is harmless (the next run initialises it with that key).
 */
const provesNotCreated = (error: unknown): boolean =>
  error instanceof ResticError && error.failure === "wrong-key";

/** What {@link initRepository} did. */
export interface InitRepositoryResult {
  readonly namespace: string;
  /** The repository URL (Velero's `repoIdentifier`). */
  readonly repository: string;
  readonly key: KeyRef;
  /** True when the repository was created; false when an existing one was adopted with the given key. */
  readonly created: boolean;
}

const keyFrom = async (o: InitRepositoryOptions, problems: string[]): Promise<string | undefined> => {
  const given = [o.keyData !== undefined, o.keyFile !== undefined, o.keySize !== undefined].filter(Boolean);
  if (given.length > 1) {
    problems.push("give at most one of keyData, keyFile and keySize");
    return undefined;
  }
  if (o.keyData !== undefined) {
    if (typeof o.keyData !== "string" || o.keyData === "")
      problems.push("keyData must be a non-empty string");
    return o.keyData;
  }
  if (o.keyFile !== undefined) {
    try {
      const text = (await readFile(o.keyFile, "utf8")).replace(/\r?\n$/, "");
      if (text === "") problems.push(`keyFile "${o.keyFile}" is empty`);
      return text;
    } catch (error) {
      problems.push(
        `keyFile "${o.keyFile}" cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
      return undefined;
    }
  }
  const size = o.keySize ?? DEFAULT_KEY_SIZE;
  if (!Number.isInteger(size) || size < 16 || size > 65536) {
    problems.push(`keySize must be an integer from 16 to 65536, received ${String(o.keySize)}`);
    return undefined;
  }
  return generateKey(size);
};

/**
 * Initialises `namespace`'s repository with a key (given, read from a file, or generated) and keeps the
 * key in the Secret `stowage-repo-credentials`. An existing repository is adopted when the key opens
 * it; a key that does not open it fails with a `ResticError` (`wrong-key`) and nothing is changed. A
 * different key already stored for the namespace is never replaced (`ERR_ALREADY_EXISTS`). When restic
 * fails otherwise the key stays stored, as the repository may have been created with it.
 */
export const initRepository = async (options: InitRepositoryOptions): Promise<InitRepositoryResult> => {
  const problems: string[] = [];
  try {
    validateNamespaceName(options.namespace);
  } catch (error) {
    problems.push(...(error as ValidationError).problems);
  }
  const password = await keyFrom(options, problems);
  if (problems.length > 0 || password === undefined) {
    throw new ValidationError(problems, `initRepository options for namespace ${String(options.namespace)}`);
  }
  const { cluster, namespace } = options;
  const secretNamespace = options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const signal = options.signal ? { signal: options.signal } : {};
  const existing = await findRepositoryKey(cluster, namespace, {
    credentialsNamespace: secretNamespace,
    ...signal,
  });
  if (existing && existing.secretName === STOWAGE_KEY_SECRET && existing.reveal() !== password) {
    throw new ConfigError(
      `namespace ${namespace} already has a repository key in ${existing}: Stowage never replaces a key; the repository already exists or was prepared, nothing was changed`,
    );
  }
  const ref = { secretNamespace, secretName: STOWAGE_KEY_SECRET, secretKey: namespace };
  const repository: Repository = {
    address: repositoryAddress(options.backend, namespace),
    key: new RepositoryKey(ref, password),
  };
  const driver = options.driver ?? localDriver();
  // stored first: a Job reads it from the Secret; undone when an existing repository does not open with it
  await storeRepositoryKey(cluster, namespace, password, {
    credentialsNamespace: secretNamespace,
    ...signal,
  });
  let created: boolean;
  try {
    ({ created } = await ensureOneAtATime(driver, repository, signal));
  } catch (error) {
    if ((!existing || existing.secretName !== STOWAGE_KEY_SECRET) && provesNotCreated(error)) {
      await removeRepositoryKey(cluster, namespace, password, { credentialsNamespace: secretNamespace });
    }
    throw error;
  }
  return { namespace, repository: repository.address.url, key: ref, created };
};

/** One repository of a backup location, as {@link getRepositories} reports it. */
export interface RepositoryStatus {
  readonly namespace: string;
  readonly repository: string;
  /** `Ready` (exists, a key is stored), `NoKey` (exists, no key found), `NotInitialized` (a key, no repository). */
  readonly status: "Ready" | "NoKey" | "NotInitialized";
  readonly key?: KeyRef;
}

/** Options of {@link getRepositories}. */
export interface GetRepositoriesOptions {
  readonly cluster: Cluster;
  readonly store: ObjectStore;
  readonly backend: ResticBackend;
  /** Only these namespaces. @default every repository in the store */
  readonly namespaces?: readonly string[];
  /** @default "velero" */
  readonly credentialsNamespace?: string;
}

/** {@link getRepositories} with the keys themselves, for callers that go on to open the repositories. */
export const findRepositories = async (
  options: GetRepositoriesOptions,
): Promise<Array<Omit<RepositoryStatus, "key"> & { readonly key?: RepositoryKey }>> => {
  const catalog = openCatalog(options.store);
  const names = options.namespaces?.length
    ? [...new Set(options.namespaces)]
    : await catalog.resticRepositoryNamespaces();
  const out: Array<Omit<RepositoryStatus, "key"> & { readonly key?: RepositoryKey }> = [];
  for (const namespace of names.sort()) {
    const exists = await catalog.resticRepositoryExists(namespace);
    const key = await findRepositoryKey(options.cluster, namespace, {
      credentialsNamespace: options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE,
    });
    if (!exists && !key && !options.namespaces?.length) continue;
    out.push({
      namespace,
      repository: repositoryAddress(options.backend, namespace).url,
      status: !exists ? "NotInitialized" : key ? "Ready" : "NoKey",
      ...(key ? { key } : {}),
    });
  }
  return out;
};

/**
 * The repositories of a location: every `restic/<ns>/` that holds a `config`, plus the namespaces given
 * in `namespaces`, each with the key that would open it. Reads the store and the Secrets only.
 */
export const getRepositories = async (options: GetRepositoriesOptions): Promise<RepositoryStatus[]> =>
  (await findRepositories(options)).map(({ key, ...status }) => ({
    ...status,
    ...(key ? { key: key.toJSON() } : {}),
  }));

/** Opens repositories for one backup or restore run, once per namespace. */
export interface RepositoryOpener {
  /**
   * The repository of `namespace` with its key. With `create` (backup) it is ensured to exist and to open
   * with its key, created with a generated key when none exists; without (restore) the key must exist.
   * The same promise for every call with one namespace.
   */
  open(namespace: string, node?: string): Promise<Repository>;
  address(namespace: string): RepositoryAddress;
}

/** Creates a {@link RepositoryOpener}. */
export const createRepositoryOpener = (deps: {
  readonly cluster: Cluster;
  readonly backend: ResticBackend;
  readonly driver: PodVolumeDriver;
  readonly credentialsNamespace: string;
  /** Create missing repositories (backup) or fail (restore). */
  readonly create: boolean;
  readonly keySize?: number;
  readonly signal?: AbortSignal;
}): RepositoryOpener => {
  const opened = new Map<string, Promise<Repository>>();
  const signal = deps.signal ? { signal: deps.signal } : {};
  const open = async (namespace: string, node: string | undefined): Promise<Repository> => {
    const address = repositoryAddress(deps.backend, namespace);
    const found = await findRepositoryKey(deps.cluster, namespace, {
      credentialsNamespace: deps.credentialsNamespace,
      ...signal,
    });
    if (!found && !deps.create) {
      throw new ResticError(
        "no-repository",
        `no repository key for namespace ${namespace} in Secret ${deps.credentialsNamespace}/${STOWAGE_KEY_SECRET} (nor Velero's velero-repo-credentials): put the key of ${address.url} there (stowage restic repo init ${namespace} --key-file FILE)`,
        { exitCode: 10, namespace },
      );
    }
    // a new key is stored before restic runs (a Job reads it from the Secret); when another run stored
    // one first (two first backups of a namespace at once), that one is adopted, so both use one key
    const key =
      found ??
      (await storeRepositoryKey(deps.cluster, namespace, generateKey(deps.keySize ?? DEFAULT_KEY_SIZE), {
        credentialsNamespace: deps.credentialsNamespace,
        adopt: true,
        ...signal,
      }));
    const repository = { address, key };
    // a restore needs no probe: restic's own restore fails clearly on a missing repository or a wrong key
    if (!deps.create) return repository;
    try {
      await ensureOneAtATime(deps.driver, repository, { ...(node ? { node } : {}), ...signal });
    } catch (error) {
      // the new key goes again only when the repository exists with another one
      if (!found && provesNotCreated(error)) {
        await removeRepositoryKey(deps.cluster, namespace, key.reveal(), {
          credentialsNamespace: deps.credentialsNamespace,
        }).catch(() => undefined);
      }
      if (!found && error instanceof ResticError && error.failure === "wrong-key") {
        throw new ResticError(
          "wrong-key",
          `a restic repository exists for namespace ${namespace} at ${address.url}, but no key for it is stored in Secret ${deps.credentialsNamespace}/${STOWAGE_KEY_SECRET} (nor Velero's velero-repo-credentials): give its key with "stowage restic repo init ${namespace} --key-file FILE"; nothing was written`,
          { exitCode: 12, namespace, cause: error },
        );
      }
      throw error;
    }
    return repository;
  };
  return {
    open(namespace, node) {
      let pending = opened.get(namespace);
      if (!pending) {
        pending = open(namespace, node);
        opened.set(namespace, pending);
      }
      return pending;
    },
    address: (namespace) => repositoryAddress(deps.backend, namespace),
  };
};
