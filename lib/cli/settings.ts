/**
 * The CLI's settings, each resolved as flag > STOWAGE_* variable > config file > default, and the
 * things built from them: the store to use and the cluster connection. Nothing is read or opened
 * until a command asks for it, so `--help` and `version` never touch the config file or the network.
 */
import { delimiter, resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import type { Cluster } from "../kube/index.ts";
import { parseSnapshotLocationSpec } from "../snapshot/location-spec.ts";
import type { VolumeSnapshotLocation } from "../snapshot/types.ts";
import type { ObjectStore } from "../store/index.ts";
import { type CliConfig, configPath, loadConfigFile } from "./config-file.ts";
import { UsageError } from "./errors.ts";
import type { Flags } from "./flags.ts";
import { DEFAULT_STORE_DIR, openStoreTarget, parseStoreSpec, type StoreTarget } from "./stores.ts";

/** A store ready to use, with the location name recorded in backups and shown in messages. */
export interface OpenedStore {
  readonly store: ObjectStore;
  readonly target: StoreTarget;
  /** `spec.storageLocation` / label `velero.io/storage-location` of new backups. */
  readonly locationName: string;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === "" ? undefined : value;

/** Settings of one CLI invocation. */
export class Settings {
  /** Absolute path of the config file (it may not exist). */
  readonly configFile: string;
  readonly #flags: Flags;
  readonly #env: NodeJS.ProcessEnv;
  readonly #command: readonly string[];
  #config: Promise<CliConfig> | undefined;

  constructor(flags: Flags, env: NodeJS.ProcessEnv, command: readonly string[]) {
    this.#flags = flags;
    this.#env = env;
    this.#command = command;
    this.configFile = configPath(nonEmpty(flags.string("config")), env);
  }

  /** The config file's content (read once; a missing file is empty). */
  config(): Promise<CliConfig> {
    this.#config ??= loadConfigFile(this.configFile);
    return this.#config;
  }

  /** flag > STOWAGE_<ENV> > config file key; undefined when none is set. */
  async #setting(flag: string, env: string, key: keyof CliConfig): Promise<string | undefined> {
    const fromFlag = nonEmpty(this.#flags.string(flag));
    if (fromFlag !== undefined) return fromFlag;
    const fromEnv = nonEmpty(this.#env[env]);
    if (fromEnv !== undefined) return fromEnv;
    const fromFile = (await this.config())[key];
    return typeof fromFile === "string" ? nonEmpty(fromFile) : undefined;
  }

  /**
   * The volume snapshot locations `--volume-snapshot-locations` names: each entry either inline
   * (`NAME=PROVIDER[?KEY=VALUE&…]`) or the name of one in the config file. Without the flag
   * (`entries` undefined), every location of the config file; undefined when it has none.
   */
  async snapshotLocations(
    entries: readonly string[] | undefined,
  ): Promise<VolumeSnapshotLocation[] | undefined> {
    const stored = (await this.config()).volumeSnapshotLocations ?? {};
    const fromFile = (name: string): VolumeSnapshotLocation => {
      const location = stored[name];
      if (!location) {
        throw new ConfigError(
          `volume snapshot location "${name}" is not in config file ${this.configFile} (known: [${Object.keys(stored).join(", ")}]): create it with "stowage snapshot-location create ${name} --provider PROVIDER --config KEY=VALUE,…", or give it inline as ${name}=PROVIDER?KEY=VALUE`,
        );
      }
      return { name, provider: location.provider, config: { ...location.config } };
    };
    if (entries === undefined) {
      const names = Object.keys(stored).sort();
      return names.length ? names.map(fromFile) : undefined;
    }
    return entries.map((entry) =>
      entry.includes("=") ? parseSnapshotLocationSpec(entry) : fromFile(entry.trim()),
    );
  }

  /** The kubeconfig path(s), or undefined to let `connect()` use KUBECONFIG / ~/.kube/config / in-cluster. */
  kubeconfig(): Promise<string | undefined> {
    return this.#setting("kubeconfig", "STOWAGE_KUBECONFIG", "kubeconfig");
  }

  /** The kubeconfig context, or undefined for the current context. */
  context(): Promise<string | undefined> {
    return this.#setting("context", "STOWAGE_CONTEXT", "context");
  }

  /** The S3 endpoint for `s3://` stores: flag, STOWAGE_S3_ENDPOINT, config file, AWS_ENDPOINT_URL_S3. */
  async s3Endpoint(): Promise<string | undefined> {
    return (
      (await this.#setting("s3-endpoint", "STOWAGE_S3_ENDPOINT", "s3Endpoint")) ??
      nonEmpty(this.#env.AWS_ENDPOINT_URL_S3)
    );
  }

  /** The S3 region for `s3://` stores: flag, STOWAGE_REGION, config file (else the AWS chain's). */
  region(): Promise<string | undefined> {
    return this.#setting("region", "STOWAGE_REGION", "region");
  }

  /**
   * The store to use: `storageLocation` (a named location) when given, else --store / STOWAGE_STORE,
   * else the config file's default location, else ./stowage-data.
   */
  async storeTarget(storageLocation?: string): Promise<{ target: StoreTarget; locationName: string }> {
    const config = await this.config();
    const named = (name: string) => {
      const location = config.backupLocations?.[name];
      if (!location) {
        const known = Object.keys(config.backupLocations ?? {});
        throw new ConfigError(
          `backup location "${name}" is not in ${this.configFile} (known: [${known.join(", ")}]): create it with "stowage backup-location create ${name} --provider … --bucket …", or pass --store`,
        );
      }
      return { target: { kind: "location", name, location } as const, locationName: name };
    };
    const flagStore = nonEmpty(this.#flags.string("store"));
    if (storageLocation !== undefined) {
      if (flagStore !== undefined) {
        throw new UsageError("pass either --store or --storage-location, not both", this.#command);
      }
      return named(storageLocation);
    }
    const spec = flagStore ?? nonEmpty(this.#env.STOWAGE_STORE);
    if (spec !== undefined) {
      const s3 = { endpoint: await this.s3Endpoint(), region: await this.region() };
      const target = parseStoreSpec(spec, s3, this.#command);
      return { target, locationName: "default" };
    }
    if (config.defaultBackupLocation !== undefined) return named(config.defaultBackupLocation);
    return { target: { kind: "directory", path: DEFAULT_STORE_DIR }, locationName: "default" };
  }

  /** Opens the store {@link storeTarget} picks. No I/O yet. */
  async openStore(storageLocation?: string): Promise<OpenedStore> {
    const { target, locationName } = await this.storeTarget(storageLocation);
    return { store: openStoreTarget(target), target, locationName };
  }

  /** Connects to the cluster (checks the API server answers). */
  async connect(): Promise<Cluster> {
    const kubeconfig = await this.kubeconfig();
    const context = await this.context();
    // loaded on demand: the Kubernetes client is most of the CLI's start-up time
    const { connect } = await import("../kube/connect.ts");
    return connect({
      ...(kubeconfig !== undefined ? { kubeconfig: resolveList(kubeconfig) } : {}),
      ...(context !== undefined ? { context } : {}),
    });
  }
}

/** Makes each path of a kubeconfig list (`a:b` on Linux) absolute; child processes may run elsewhere. */
export const resolveList = (paths: string): string =>
  paths
    .split(delimiter)
    .filter(Boolean)
    .map((p) => resolve(p))
    .join(delimiter);
