/**
 * Repository keys, kept in Kubernetes Secrets and never logged.
 *
 * Stowage keeps one key per volume namespace in the Secret `stowage-repo-credentials` (data key = the
 * namespace), in the credentials namespace (default `velero`, where Velero keeps its own). Velero's shared
 * key — Secret `velero-repo-credentials`, data key `repository-password` (`velero-restic-credentials`
 * before Velero 1.10) — is accepted for namespaces that have no key of their own, so repositories Velero
 * created open with the key Velero uses.
 *
 * A {@link RepositoryKey} holds the password in a private field: `JSON.stringify`, `util.inspect` and
 * template strings show where the key lives, never the key.
 */
import { randomBytes } from "node:crypto";
import { ConfigError, StowageError } from "../errors.ts";
import type { Cluster } from "../kube/client.ts";
import { AmbiguousRequestError, ConflictError, isAlreadyExists, isNotFound } from "../kube/errors.ts";
import type { KubeObject } from "../kube/types.ts";

/** Stowage's Secret of per-namespace repository keys. */
export const STOWAGE_KEY_SECRET = "stowage-repo-credentials";
/** Velero's Secret of the key every repository shares, and its data key. */
export const VELERO_KEY_SECRETS = ["velero-repo-credentials", "velero-restic-credentials"] as const;
export const VELERO_KEY_FIELD = "repository-password";
/** Where the key Secrets live unless told otherwise (Velero's namespace). */
export const DEFAULT_CREDENTIALS_NAMESPACE = "velero";

/** Where a repository's key is kept (never the key itself). */
export interface KeyRef {
  readonly secretNamespace: string;
  readonly secretName: string;
  readonly secretKey: string;
}

/** A repository key and the Secret entry holding it. The password is only returned by {@link reveal}. */
export class RepositoryKey {
  readonly #password: string;
  /** Namespace of the Secret. */
  readonly secretNamespace: string;
  readonly secretName: string;
  /** Data key inside the Secret. */
  readonly secretKey: string;

  constructor(ref: KeyRef, password: string) {
    this.secretNamespace = ref.secretNamespace;
    this.secretName = ref.secretName;
    this.secretKey = ref.secretKey;
    this.#password = password;
  }

  /** The password itself: for restic's environment only. */
  reveal(): string {
    return this.#password;
  }

  /** `Secret velero/stowage-repo-credentials[shop]`: where the key is, for messages. */
  toString(): string {
    return `Secret ${this.secretNamespace}/${this.secretName}[${this.secretKey}]`;
  }

  toJSON(): KeyRef {
    return { secretNamespace: this.secretNamespace, secretName: this.secretName, secretKey: this.secretKey };
  }
}

const decode = (secret: KubeObject | undefined, field: string): string | undefined => {
  const value = (secret?.data as Record<string, string> | undefined)?.[field];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
};

/**
 * The key of `namespace`'s repository: Stowage's own entry, else Velero's shared key; undefined when
 * neither exists.
 */
export const findRepositoryKey = async (
  cluster: Cluster,
  namespace: string,
  options: { readonly credentialsNamespace?: string; readonly signal?: AbortSignal } = {},
): Promise<RepositoryKey | undefined> => {
  const secretNamespace = options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const get = (name: string) =>
    cluster.tryGet("secrets", name, { namespace: secretNamespace, signal: options.signal });
  const own = decode(await get(STOWAGE_KEY_SECRET), namespace);
  if (own !== undefined) {
    return new RepositoryKey({ secretNamespace, secretName: STOWAGE_KEY_SECRET, secretKey: namespace }, own);
  }
  for (const secretName of VELERO_KEY_SECRETS) {
    const shared = decode(await get(secretName), VELERO_KEY_FIELD);
    if (shared !== undefined) {
      return new RepositoryKey({ secretNamespace, secretName, secretKey: VELERO_KEY_FIELD }, shared);
    }
  }
  return undefined;
};

/** A new random key of `size` characters (URL-safe base64 alphabet, 6 random bits each). */
export const generateKey = (size: number): string =>
  randomBytes(Math.ceil((size * 3) / 4) + 3)
    .toString("base64url")
    .slice(0, size);

/**
 * Stores `password` as `namespace`'s key in `stowage-repo-credentials` (creating the Secret when needed)
 * and returns the key stored. A different key already stored for the namespace (another run may have
 * stored one between a look-up and this call) is never replaced: with `adopt` that key is returned
 * instead, otherwise it fails with `ERR_ALREADY_EXISTS`. Storing the same key again is a no-op.
 */
export const storeRepositoryKey = async (
  cluster: Cluster,
  namespace: string,
  password: string,
  options: {
    readonly credentialsNamespace?: string;
    readonly signal?: AbortSignal;
    /** Return the key another writer stored first rather than failing. @default false */
    readonly adopt?: boolean;
  } = {},
): Promise<RepositoryKey> => {
  const secretNamespace = options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const ref = { secretNamespace, secretName: STOWAGE_KEY_SECRET, secretKey: namespace };
  const key = new RepositoryKey(ref, password);
  const encoded = Buffer.from(password, "utf8").toString("base64");
  for (let attempt = 0; attempt < 5; attempt++) {
    const secret = await cluster.tryGet("secrets", STOWAGE_KEY_SECRET, {
      namespace: secretNamespace,
      signal: options.signal,
    });
    if (!secret) {
      try {
        await cluster.create(
          "secrets",
          {
            apiVersion: "v1",
            kind: "Secret",
            metadata: {
              name: STOWAGE_KEY_SECRET,
              namespace: secretNamespace,
              labels: { "app.kubernetes.io/managed-by": "stowage" },
            },
            type: "Opaque",
            data: { [namespace]: encoded },
          },
          { namespace: secretNamespace, signal: options.signal },
        );
        return key;
      } catch (error) {
        // another writer created the Secret first, or the answer was lost: read it back (a key it
        // holds for the namespace, ours or another's, wins)
        if (isAlreadyExists(error) || error instanceof AmbiguousRequestError) continue;
        if (isNotFound(error)) {
          throw new ConfigError(
            `namespace ${secretNamespace} does not exist, so the repository key of ${namespace} cannot be kept there: create it, or set credentialsNamespace to an existing namespace`,
            { cause: error },
          );
        }
        throw error;
      }
    }
    const existing = decode(secret, namespace);
    if (existing === password) return key;
    if (existing !== undefined && options.adopt) return new RepositoryKey(ref, existing);
    if (existing !== undefined) {
      throw new StowageError(
        "ERR_ALREADY_EXISTS",
        `namespace ${namespace} already has a different repository key in ${key}: Stowage never replaces a key (the repository's data would be lost to it); delete that entry yourself only if the repository is gone`,
      );
    }
    try {
      await cluster.update(
        "secrets",
        { ...secret, data: { ...(secret.data as Record<string, string>), [namespace]: encoded } },
        { namespace: secretNamespace, signal: options.signal },
      );
      return key;
    } catch (error) {
      // another writer changed the Secret first: read it back
      if (error instanceof ConflictError) continue;
      throw error;
    }
  }
  throw new StowageError(
    "ERR_CONFLICT",
    `the Secret ${secretNamespace}/${STOWAGE_KEY_SECRET} kept changing while the key of ${namespace} was stored: try again`,
  );
};

/**
 * Removes `namespace`'s entry from `stowage-repo-credentials` if it still holds `password` (the undo of a
 * {@link storeRepositoryKey} whose repository turned out not to open with it). Anything else is left alone.
 */
export const removeRepositoryKey = async (
  cluster: Cluster,
  namespace: string,
  password: string,
  options: { readonly credentialsNamespace?: string } = {},
): Promise<void> => {
  const secretNamespace = options.credentialsNamespace ?? DEFAULT_CREDENTIALS_NAMESPACE;
  const secret = await cluster.tryGet("secrets", STOWAGE_KEY_SECRET, { namespace: secretNamespace });
  if (!secret || decode(secret, namespace) !== password) return;
  const data = { ...(secret.data as Record<string, string>) };
  delete data[namespace];
  await cluster.update("secrets", { ...secret, data }, { namespace: secretNamespace });
};
