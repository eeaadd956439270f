/**
 * Pure builders of restic 0.18 command lines: arguments plus the non-secret environment, never the
 * repository key (a runner adds `RESTIC_PASSWORD` from the key Secret) and never cloud credentials
 * (a runner adds the address's `secretEnv`). Every command writes JSON (`--json`).
 */
import type { RepositoryAddress } from "./backend.ts";

/** A restic invocation: `restic <args>` with `env` added to the runner's environment, run in `cwd`. */
export interface ResticCommand {
  /** What it does, for messages: `backup`, `restore`, `init`, … */
  readonly operation:
    | "init"
    | "probe"
    | "backup"
    | "restore"
    | "snapshots"
    | "forget"
    | "check"
    | "prune"
    | "unlock";
  /** The namespace whose repository it addresses. */
  readonly namespace: string;
  readonly args: readonly string[];
  /** `RESTIC_REPOSITORY` and the backend's non-secret variables. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory; `backup` of `.` records the directory's contents at the snapshot's root. */
  readonly cwd?: string;
}

/** Options shared by every builder. */
export interface CommonOptions {
  /**
   * restic's cache: a directory, or `false` for `--no-cache` (containers that start empty every time).
   * @default restic's own default (`$XDG_CACHE_HOME/restic`)
   */
  readonly cacheDir?: string | false;
}

/** The host Velero's restic backups recorded (`--host=velero`), so Velero finds Stowage's snapshots. */
export const DEFAULT_HOST = "velero";

const base = (
  repo: RepositoryAddress,
  operation: ResticCommand["operation"],
  sub: readonly string[],
  options: CommonOptions,
  cwd?: string,
): ResticCommand => ({
  operation,
  namespace: repo.namespace,
  args: [
    ...repo.globalArgs,
    ...(options.cacheDir === false
      ? ["--no-cache"]
      : options.cacheDir
        ? ["--cache-dir", options.cacheDir]
        : []),
    ...sub,
  ],
  env: { RESTIC_REPOSITORY: repo.url, ...repo.env },
  ...(cwd === undefined ? {} : { cwd }),
});

/** `restic init --json`: creates the repository (fails when one exists). */
export const initCommand = (repo: RepositoryAddress, options: CommonOptions = {}): ResticCommand =>
  base(repo, "init", ["init", "--json"], options);

/**
 * `restic cat config --json`: whether the repository exists and the key opens it — exit 0 yes, 10 no
 * repository, 12 wrong key. Reads only; changes nothing.
 */
export const probeCommand = (repo: RepositoryAddress, options: CommonOptions = {}): ResticCommand =>
  base(repo, "probe", ["cat", "config", "--json"], options);

/** Options of {@link backupCommand}. */
export interface BackupCommandOptions extends CommonOptions {
  /** The directory whose contents are backed up (run in it; the snapshot holds them at its root). */
  readonly directory: string;
  /** Tags `key=value` (Velero's PodVolumeBackup tags), written sorted by key. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
  /** `--host`. @default "velero" */
  readonly host?: string;
  /** `--parent`: the snapshot to compare against for an incremental backup. @default restic's choice */
  readonly parent?: string;
}

/** `restic backup --json --host velero --tag k=v … .`, run in `directory`. */
export const backupCommand = (repo: RepositoryAddress, options: BackupCommandOptions): ResticCommand => {
  const tags = Object.entries(options.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, value]) => ["--tag", `${key}=${value}`]);
  return base(
    repo,
    "backup",
    [
      "backup",
      "--json",
      "--host",
      options.host ?? DEFAULT_HOST,
      ...tags,
      ...(options.parent ? ["--parent", options.parent] : []),
      ".",
    ],
    options,
    options.directory,
  );
};

/** Options of {@link restoreCommand}. */
export interface RestoreCommandOptions extends CommonOptions {
  /** The snapshot to restore (full or short id). */
  readonly snapshotId: string;
  /** The directory the snapshot's contents are written into (run in it, `--target .`). */
  readonly directory: string;
}

/** `restic restore <id> --target . --json`, run in `directory`. */
export const restoreCommand = (repo: RepositoryAddress, options: RestoreCommandOptions): ResticCommand =>
  base(
    repo,
    "restore",
    ["restore", options.snapshotId, "--target", ".", "--json"],
    options,
    options.directory,
  );

/** Options of {@link snapshotsCommand}. */
export interface SnapshotsCommandOptions extends CommonOptions {
  /** Only snapshots carrying every one of these tags. @default {} (all) */
  readonly tags?: Readonly<Record<string, string>>;
  /** Only snapshots of this host. @default any host */
  readonly host?: string;
}

/** `restic snapshots --json [--tag k=v,…] [--host h]`. */
export const snapshotsCommand = (
  repo: RepositoryAddress,
  options: SnapshotsCommandOptions = {},
): ResticCommand => {
  const tags = Object.entries(options.tags ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`);
  return base(
    repo,
    "snapshots",
    [
      "snapshots",
      "--json",
      ...(tags.length ? ["--tag", tags.join(",")] : []),
      ...(options.host ? ["--host", options.host] : []),
    ],
    options,
  );
};

/** `restic forget --json <ids…> [--prune]`: drops snapshots (and with `prune`, their unused data). */
export const forgetCommand = (
  repo: RepositoryAddress,
  options: CommonOptions & { readonly snapshotIds: readonly string[]; readonly prune?: boolean },
): ResticCommand =>
  base(
    repo,
    "forget",
    ["forget", "--json", ...options.snapshotIds, ...(options.prune ? ["--prune"] : [])],
    options,
  );

/**
 * `restic unlock`: removes stale locks only — those of a restic that no longer runs on this host, or
 * older than 30 minutes — never a live one. What a killed restic left must go before `forget` can lock.
 */
export const unlockCommand = (repo: RepositoryAddress, options: CommonOptions = {}): ResticCommand =>
  base(repo, "unlock", ["unlock"], options);

/** `restic check --json [--read-data]`. */
export const checkCommand = (
  repo: RepositoryAddress,
  options: CommonOptions & { readonly readData?: boolean } = {},
): ResticCommand =>
  base(repo, "check", ["check", "--json", ...(options.readData ? ["--read-data"] : [])], options);

/**
 * `restic prune`: removes the data no snapshot refers to any more (after `forget`). It holds the
 * repository's exclusive lock while it runs, so backups of the namespace wait or fail meanwhile.
 */
export const pruneCommand = (repo: RepositoryAddress, options: CommonOptions = {}): ResticCommand =>
  base(repo, "prune", ["prune"], options);
