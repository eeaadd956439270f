/**
 * `stowage restic repo init|get|prune`: the restic repositories of pod volume backups, one per namespace
 * under `<prefix>/restic/<namespace>` of the store (Ark's `restic repo init --key-data/--key-file/--key-size`,
 * Velero's `repo get`). Keys are kept in the Secret `stowage-repo-credentials` and never printed.
 */
import type { Cluster } from "../../kube/client.ts";
import type { ResticBackend } from "../../podvolume/backend.ts";
import type { CommandContext, CommandSpec } from "../command.ts";
import { EXIT, UsageError } from "../errors.ts";
import type { Flags } from "../flags.ts";
import { encode, encodeObjects, printListing, write } from "../output.ts";
import type { OpenedStore } from "../settings.ts";
import type { FlagSpec } from "../types.ts";
import { backendOf, CREDENTIALS_FLAG, credentialsOption } from "./pod-volumes.ts";
import { STORAGE_LOCATION_FLAG } from "./shared.ts";

const RESTIC_FLAG: FlagSpec = {
  name: "restic",
  type: "string",
  placeholder: "PATH",
  description: "the restic binary (default: restic on PATH)",
};

/** What the repository verbs work with: the store, its restic backend, the cluster holding the keys. */
interface Repositories extends OpenedStore {
  readonly backend: ResticBackend;
  readonly cluster: Cluster;
  /** `{ credentialsNamespace }` from --credentials-namespace, or `{}`. */
  readonly credentials: { credentialsNamespace?: string };
}

/** Runs `work` on the store's repositories (--storage-location or --store), then closes the cluster. */
const withRepositories = async <R>(
  { flags, settings }: Pick<CommandContext, "flags" | "settings">,
  work: (repositories: Repositories) => Promise<R>,
): Promise<R> => {
  const opened = await settings.openStore(flags.string("storage-location"));
  const backend = await backendOf(opened.target);
  const cluster = await settings.connect();
  try {
    return await work({ ...opened, backend, cluster, credentials: credentialsOption(flags) });
  } finally {
    cluster.close();
  }
};

/** restic run here, as --restic names it (default: restic on PATH). */
const localRestic = async (flags: Flags) => {
  const { localDriver } = await import("../../podvolume/local-driver.ts");
  const resticPath = flags.string("restic");
  return localDriver(resticPath ? { resticPath } : {});
};

/** `stowage restic repo init`. */
export const resticRepoInit: CommandSpec = {
  path: ["restic", "repo", "init"],
  summary: "Initialise the restic repository of a namespace",
  description: `Creates the restic repository of NAMESPACE's pod volumes under <prefix>/restic/NAMESPACE of the
store, with a key given (--key-data, --key-file) or generated (--key-size characters), and keeps the key
in the Secret stowage-repo-credentials of --credentials-namespace. An existing repository is adopted when
the key opens it; a key that does not open it is refused and nothing changes. restic runs locally.
--key-data is visible to other users of this machine (process list): prefer --key-file.`,
  args: { usage: "NAMESPACE", min: 1, max: 1 },
  flags: [
    { name: "key-data", type: "string", placeholder: "KEY", description: "the repository key" },
    { name: "key-file", type: "string", placeholder: "FILE", description: "file holding the repository key" },
    {
      name: "key-size",
      type: "string",
      placeholder: "N",
      description: "characters of a generated key (default 1024)",
    },
    CREDENTIALS_FLAG,
    RESTIC_FLAG,
    STORAGE_LOCATION_FLAG,
  ],
  outputs: ["table", "json", "yaml"],
  examples: [
    "stowage restic repo init shop --key-file ./shop.key --store s3://backups/prod",
    "stowage restic repo init shop --key-size 64",
  ],
  async run({ args, flags, settings, io, output, command }) {
    const namespace = args[0] as string;
    const keySizeText = flags.string("key-size");
    const keySize = keySizeText === undefined ? undefined : Number(keySizeText);
    if (keySize !== undefined && !Number.isInteger(keySize)) {
      throw new UsageError(
        `invalid value "${keySizeText}" for --key-size: expected a whole number`,
        command.path,
      );
    }
    const keyData = flags.string("key-data");
    const keyFile = flags.string("key-file");
    const result = await withRepositories({ flags, settings }, async ({ backend, cluster, credentials }) => {
      const { initRepository } = await import("../../podvolume/repository.ts");
      return initRepository({
        cluster,
        backend,
        namespace,
        ...(keyData !== undefined ? { keyData } : {}),
        ...(keyFile !== undefined ? { keyFile } : {}),
        ...(keySize !== undefined ? { keySize } : {}),
        ...credentials,
        driver: await localRestic(flags),
      });
    });
    if (output !== "table") {
      await write(io.stdout, encodeObjects([result], { apiVersion: "v1", kind: "List" }, true, output));
      return EXIT.ok;
    }
    const key = `${result.key.secretNamespace}/${result.key.secretName}[${result.key.secretKey}]`;
    await write(
      io.stdout,
      `Repository for namespace ${namespace} ${result.created ? "initialised" : "already existed and opens with the key; adopted"} at ${result.repository}; its key is kept in Secret ${key}.\n`,
    );
    return EXIT.ok;
  },
};

/** `stowage restic repo get`. */
export const resticRepoGet: CommandSpec = {
  path: ["restic", "repo", "get"],
  summary: "List the restic repositories of the store and where their keys are",
  description: `Lists <prefix>/restic/<namespace> repositories of the store (or the namespaces given), with the
Secret entry holding each one's key: Ready (repository and key), NoKey (a repository without a key
Stowage can find), NotInitialized (a key, no repository). -o json|yaml prints Velero BackupRepository
objects.`,
  args: { usage: "[NAMESPACE...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [CREDENTIALS_FLAG, STORAGE_LOCATION_FLAG],
  outputs: ["table", "json", "yaml"],
  async run({ args, flags, settings, io, output }) {
    const { store, locationName, repositories } = await withRepositories({ flags, settings }, async (r) => {
      const { getRepositories } = await import("../../podvolume/repository.ts");
      const repositories = await getRepositories({
        cluster: r.cluster,
        store: r.store,
        backend: r.backend,
        ...(args.length ? { namespaces: args } : {}),
        ...r.credentials,
      });
      return { ...r, repositories };
    });
    await printListing(io, output, repositories, args.length === 1, {
      list: { apiVersion: "velero.io/v1", kind: "BackupRepositoryList" },
      object: (r) => ({
        apiVersion: "velero.io/v1",
        kind: "BackupRepository",
        metadata: { name: `${r.namespace}-${locationName}-restic`, namespace: "velero" },
        spec: {
          volumeNamespace: r.namespace,
          backupStorageLocation: locationName,
          repositoryType: "restic",
          resticIdentifier: r.repository,
        },
        status: {
          phase: r.status === "Ready" ? "Ready" : "NotReady",
          ...(r.status === "Ready" ? {} : { message: r.status }),
        },
      }),
      headers: ["NAMESPACE", "STATUS", "REPOSITORY", "KEY"],
      row: (r) => [
        r.namespace,
        r.status,
        r.repository,
        r.key ? `${r.key.secretNamespace}/${r.key.secretName}[${r.key.secretKey}]` : "<none>",
      ],
      empty: `No restic repositories in ${store.location}.`,
    });
    return EXIT.ok;
  },
};

/** `stowage restic repo prune`. */
export const resticRepoPrune: CommandSpec = {
  path: ["restic", "repo", "prune"],
  summary: "Free the data of forgotten restic snapshots (repository maintenance)",
  description: `Runs restic prune in the repository of each NAMESPACE (default: every repository in the store),
locally, with the keys from the Secrets of --credentials-namespace. Deleting a backup forgets its
snapshots; their data stays until a prune, which Velero runs every 7 days. Prune locks the repository:
backups of that namespace wait or fail while it runs. A repository that fails does not stop the
others; the command then exits 1.`,
  args: { usage: "[NAMESPACE...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [CREDENTIALS_FLAG, RESTIC_FLAG, STORAGE_LOCATION_FLAG],
  outputs: ["table", "json", "yaml"],
  examples: ["stowage restic repo prune", "stowage restic repo prune shop --credentials-namespace stowage"],
  async run({ args, flags, settings, io, output }) {
    return withRepositories({ flags, settings }, async ({ store, backend, cluster, credentials }) => {
      const { pruneRepositories } = await import("../../podvolume/maintenance.ts");
      const result = await pruneRepositories({
        cluster,
        store,
        backend,
        driver: await localRestic(flags),
        ...(args.length ? { namespaces: args } : {}),
        ...credentials,
        ...(output === "table"
          ? {
              onPruned: (r: { namespace: string; removed: string; durationMs: number }) =>
                io.stdout.write(
                  `Repository of namespace ${r.namespace} pruned in ${(r.durationMs / 1000).toFixed(1)} s${r.removed ? ` (${r.removed})` : ""}.\n`,
                ),
            }
          : {}),
      });
      if (output !== "table") {
        await write(io.stdout, encode(result, output));
      } else {
        for (const s of result.skipped)
          io.stderr.write(`stowage: namespace ${s.namespace} skipped: ${s.reason}\n`);
        for (const e of result.errors) {
          io.stderr.write(
            `stowage: repository of namespace ${e.namespace} (${e.repository}) not pruned: ${e.error}\n`,
          );
        }
        if (result.pruned.length + result.errors.length + result.skipped.length === 0) {
          io.stderr.write(`No restic repositories in ${store.location}.\n`);
        }
      }
      return result.errors.length > 0 ? EXIT.failed : EXIT.ok;
    });
  },
};
