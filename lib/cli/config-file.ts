/**
 * The CLI's config file (`--config`, `$STOWAGE_CONFIG`, `~/.config/stowage/config.json`): default
 * settings, named backup locations and named volume snapshot locations. JSON, written atomically with mode 0600. It never holds
 * secrets: credentials come from the AWS chain, and location config values are Velero's (region,
 * s3Url, profile, …).
 *
 * ```json
 * {
 *   "kubeconfig": "/home/me/.kube/prod",
 *   "context": "prod",
 *   "defaultBackupLocation": "primary",
 *   "backupLocations": {
 *     "primary": { "provider": "aws", "bucket": "backups", "prefix": "prod", "config": { "region": "eu-west-1" } }
 *   },
 *   "volumeSnapshotLocations": {
 *     "ebs": { "provider": "aws", "config": { "region": "eu-west-1" } }
 *   }
 * }
 * ```
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ConfigError, describeValue } from "../errors.ts";
import { isRecord } from "../util/is-record.ts";

/** A named backup location as kept in the config file (Velero's BSL `objectStorage` + `config`). */
export interface StoredLocation {
  readonly provider: string;
  readonly bucket: string;
  readonly prefix?: string;
  readonly config?: Readonly<Record<string, string>>;
}

/** A named volume snapshot location as kept in the config file (Velero's VSL `provider` + `config`). */
export interface StoredSnapshotLocation {
  readonly provider: string;
  readonly config?: Readonly<Record<string, string>>;
}

/** The config file's content. Every field is optional; a missing file is an empty config. */
export interface CliConfig {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly s3Endpoint?: string;
  readonly region?: string;
  /** Name of the location used when neither --store nor --storage-location is given. */
  readonly defaultBackupLocation?: string;
  readonly backupLocations?: Readonly<Record<string, StoredLocation>>;
  /** Volume snapshot locations by name, used when a command is given none (`--volume-snapshot-locations`). */
  readonly volumeSnapshotLocations?: Readonly<Record<string, StoredSnapshotLocation>>;
}

const STRING_KEYS = ["kubeconfig", "context", "s3Endpoint", "region", "defaultBackupLocation"] as const;
const TOP_KEYS: readonly string[] = [...STRING_KEYS, "backupLocations", "volumeSnapshotLocations"];
const LOCATION_KEYS: readonly string[] = ["provider", "bucket", "prefix", "config"];

/** The config file path: `--config`, else `$STOWAGE_CONFIG`, else `~/.config/stowage/config.json`. */
export const configPath = (flag: string | undefined, env: NodeJS.ProcessEnv): string =>
  resolve(flag || env.STOWAGE_CONFIG || join(homedir(), ".config", "stowage", "config.json"));

const checkStringMap = (where: string, value: unknown): void => {
  if (value === undefined) return;
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw new ConfigError(`${where}: expected an object of strings, got ${describeValue(value)}`);
  }
};

const checkLocation = (file: string, name: string, value: unknown): StoredLocation => {
  const where = `config file ${file}: backupLocations.${name}`;
  if (!isRecord(value)) throw new ConfigError(`${where}: expected an object, got ${describeValue(value)}`);
  const unknown = Object.keys(value).filter((k) => !LOCATION_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `${where}: unknown keys [${unknown.join(", ")}]; valid keys are [${LOCATION_KEYS.join(", ")}]: fix or remove them`,
    );
  }
  for (const key of ["provider", "bucket"] as const) {
    if (typeof value[key] !== "string" || value[key] === "") {
      throw new ConfigError(`${where}.${key}: expected a non-empty string, got ${describeValue(value[key])}`);
    }
  }
  if (value.prefix !== undefined && typeof value.prefix !== "string") {
    throw new ConfigError(`${where}.prefix: expected a string, got ${describeValue(value.prefix)}`);
  }
  checkStringMap(`${where}.config`, value.config);
  return value as unknown as StoredLocation;
};

const checkSnapshotLocation = (file: string, name: string, value: unknown): void => {
  const where = `config file ${file}: volumeSnapshotLocations.${name}`;
  if (!isRecord(value)) throw new ConfigError(`${where}: expected an object, got ${describeValue(value)}`);
  const unknown = Object.keys(value).filter((k) => k !== "provider" && k !== "config");
  if (unknown.length > 0) {
    throw new ConfigError(
      `${where}: unknown keys [${unknown.join(", ")}]; valid keys are [provider, config]: fix or remove them`,
    );
  }
  if (typeof value.provider !== "string" || value.provider === "") {
    throw new ConfigError(
      `${where}.provider: expected a non-empty string, got ${describeValue(value.provider)}`,
    );
  }
  checkStringMap(`${where}.config`, value.config);
};

/** Checks the parsed JSON of a config file; every message names the file and the key. */
export const checkConfig = (file: string, value: unknown): CliConfig => {
  if (!isRecord(value)) {
    throw new ConfigError(`config file ${file}: expected a JSON object, got ${describeValue(value)}`);
  }
  const unknown = Object.keys(value).filter((k) => !TOP_KEYS.includes(k));
  if (unknown.length > 0) {
    throw new ConfigError(
      `config file ${file}: unknown keys [${unknown.join(", ")}]; valid keys are [${TOP_KEYS.join(", ")}]: fix or remove them`,
    );
  }
  for (const key of STRING_KEYS) {
    if (value[key] !== undefined && typeof value[key] !== "string") {
      throw new ConfigError(`config file ${file}: ${key} must be a string, got ${describeValue(value[key])}`);
    }
  }
  const locations = value.backupLocations ?? {};
  if (!isRecord(locations)) {
    throw new ConfigError(
      `config file ${file}: backupLocations must be an object of name → location, got ${describeValue(locations)}`,
    );
  }
  for (const [name, location] of Object.entries(locations)) checkLocation(file, name, location);
  const snapshotLocations = value.volumeSnapshotLocations ?? {};
  if (!isRecord(snapshotLocations)) {
    throw new ConfigError(
      `config file ${file}: volumeSnapshotLocations must be an object of name → location, got ${describeValue(snapshotLocations)}`,
    );
  }
  for (const [name, location] of Object.entries(snapshotLocations))
    checkSnapshotLocation(file, name, location);
  const def = value.defaultBackupLocation;
  if (typeof def === "string" && !(def in locations)) {
    throw new ConfigError(
      `config file ${file}: defaultBackupLocation "${def}" is not one of backupLocations [${Object.keys(locations).join(", ")}]: run "stowage backup-location set NAME --default" or fix the file`,
    );
  }
  return value as CliConfig;
};

/** Reads and checks the config file; a missing file is an empty config. */
export const loadConfigFile = async (file: string): Promise<CliConfig> => {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `config file ${file} is not valid JSON (${(error as Error).message}): fix it, or remove it to start over`,
      { cause: error },
    );
  }
  return checkConfig(file, parsed);
};

/**
 * Writes the config file atomically (a temp file with mode 0600 beside it, fsync, rename), creating its
 * directory (0700) when needed.
 */
export const saveConfigFile = async (file: string, config: CliConfig): Promise<void> => {
  checkConfig(file, config);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600); // in case the umask took bits away from the mode given to open()
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new ConfigError(`cannot write config file ${file}: ${(error as Error).message}`, { cause: error });
  }
};
