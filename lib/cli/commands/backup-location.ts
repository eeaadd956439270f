/**
 * `stowage backup-location create|get|set|delete`: named backup locations (velero's
 * BackupStorageLocations) kept in the config file. A location is validated with the SDK's
 * `openLocation` when it is created, so unknown config keys fail then, with the plugin's message.
 */
import { ConfigError } from "../../errors.ts";
import { getObjectStoreProvider, openLocation, resolveProviderName } from "../../store/index.ts";
import { validateProviderName } from "../../store/providers.ts";
import type { CommandSpec } from "../command.ts";
import { type CliConfig, type StoredLocation, saveConfigFile } from "../config-file.ts";
import { EXIT, UsageError } from "../errors.ts";
import { encodeObjects, formatTable, write } from "../output.ts";
import type { Settings } from "../settings.ts";
import { toBackupLocation } from "../stores.ts";
import type { Io } from "../types.ts";

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const checkName = (name: string, path: readonly string[]): void => {
  if (name.length > 253 || !NAME.test(name)) {
    throw new UsageError(
      `invalid backup location name "${name}": expected lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. "primary")`,
      path,
    );
  }
};

/** The location named `name`, or a ConfigError listing those that exist. */
const existing = (config: CliConfig, name: string, file: string): StoredLocation => {
  const location = config.backupLocations?.[name];
  if (location) return location;
  throw new ConfigError(
    `backup location "${name}" does not exist in ${file} (known: [${Object.keys(config.backupLocations ?? {}).join(", ")}]): run "stowage backup-location get" to see them`,
  );
};

/** A location as velero's BackupStorageLocation object (for -o json|yaml). */
const asVeleroObject = (name: string, location: StoredLocation, isDefault: boolean) => ({
  apiVersion: "velero.io/v1",
  kind: "BackupStorageLocation",
  metadata: { name },
  spec: {
    provider: location.provider,
    objectStorage: { bucket: location.bucket, ...(location.prefix ? { prefix: location.prefix } : {}) },
    ...(location.config && Object.keys(location.config).length ? { config: location.config } : {}),
    ...(isDefault ? { default: true } : {}),
  },
});

const save = async (settings: Settings, config: CliConfig, io: Io, message: string): Promise<number> => {
  await saveConfigFile(settings.configFile, config);
  await write(io.stdout, `${message}\n`);
  return EXIT.ok;
};

/** `stowage backup-location create`. */
export const locationCreate: CommandSpec = {
  path: ["backup-location", "create"],
  summary: "Add a named backup location to the config file",
  description: `Adds a location (velero's BackupStorageLocation: provider, bucket, prefix, config) to the config file.
Config keys are checked as the provider's plugin checks them. Credentials are never stored: S3 uses the
AWS chain (environment, AWS_PROFILE / config "profile", credentialsFile). A provider other than aws and
file can be named as <domain>/<name>; only scripts that register it can open the location.`,
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [
    {
      name: "provider",
      type: "string",
      placeholder: "NAME",
      description: "aws, file, or <domain>/<name> (required)",
    },
    {
      name: "bucket",
      type: "string",
      placeholder: "BUCKET",
      description: "bucket name, or directory for file (required)",
    },
    { name: "prefix", type: "string", placeholder: "PREFIX", description: "path inside the bucket" },
    {
      name: "config",
      type: "list",
      placeholder: "MAP",
      description:
        "provider config k=v,… e.g. region=eu-west-1,s3Url=http://minio:9000,s3ForcePathStyle=true",
    },
    { name: "default", type: "boolean", description: "make it the default location" },
  ],
  examples: [
    "stowage backup-location create primary --provider aws --bucket backups --prefix prod --config region=eu-west-1 --default",
    "stowage backup-location create local --provider file --bucket /var/backups",
  ],
  async run({ args, flags, settings, io, command }) {
    const name = args[0] as string;
    checkName(name, command.path);
    const provider = flags.string("provider");
    const bucket = flags.string("bucket");
    if (!provider || !bucket) {
      throw new UsageError(`${!provider ? "--provider" : "--bucket"} is required`, command.path);
    }
    const prefix = flags.string("prefix");
    const locationConfig = flags.map("config");
    const location: StoredLocation = {
      provider,
      bucket,
      ...(prefix ? { prefix } : {}),
      ...(locationConfig && Object.keys(locationConfig).length ? { config: locationConfig } : {}),
    };
    validateProviderName(provider);
    if (getObjectStoreProvider(provider)) {
      openLocation(toBackupLocation(location)); // validates bucket, prefix and config keys; no I/O
    } else {
      io.stderr.write(
        `note: provider "${resolveProviderName(provider)}" is not built in: the CLI cannot open this location, scripts that register it can\n`,
      );
    }
    const config = await settings.config();
    if (config.backupLocations?.[name]) {
      throw new ConfigError(
        `backup location "${name}" already exists in ${settings.configFile}: delete it first ("stowage backup-location delete ${name}") or choose another name`,
      );
    }
    const next: CliConfig = {
      ...config,
      backupLocations: { ...config.backupLocations, [name]: location },
      ...(flags.bool("default") === true ? { defaultBackupLocation: name } : {}),
    };
    return save(settings, next, io, `Backup location "${name}" configured successfully.`);
  },
};

/** `stowage backup-location get`. */
export const locationGet: CommandSpec = {
  path: ["backup-location", "get"],
  summary: "List backup locations",
  args: { usage: "[NAME...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [],
  outputs: ["table", "json", "yaml"],
  async run({ args, settings, io, output }) {
    const config = await settings.config();
    const names = args.length > 0 ? [...new Set(args)] : Object.keys(config.backupLocations ?? {}).sort();
    const locations = names.map((name) => [name, existing(config, name, settings.configFile)] as const);
    if (output !== "table") {
      const objects = locations.map(([n, l]) => asVeleroObject(n, l, config.defaultBackupLocation === n));
      const kind = { apiVersion: "velero.io/v1", kind: "BackupStorageLocationList" };
      await write(io.stdout, encodeObjects(objects, kind, args.length === 1, output));
      return EXIT.ok;
    }
    if (locations.length === 0) {
      io.stderr.write(`No backup locations in ${settings.configFile}.\n`);
      return EXIT.ok;
    }
    const rows = locations.map(([n, l]) => [
      n,
      resolveProviderName(l.provider),
      l.prefix ? `${l.bucket}/${l.prefix}` : l.bucket,
      Object.entries(l.config ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",") || "<none>",
      config.defaultBackupLocation === n ? "true" : "",
    ]);
    await write(io.stdout, formatTable(["NAME", "PROVIDER", "BUCKET/PREFIX", "CONFIG", "DEFAULT"], rows));
    return EXIT.ok;
  },
};

/** `stowage backup-location set`. */
export const locationSet: CommandSpec = {
  path: ["backup-location", "set"],
  summary: "Change a backup location (make it the default)",
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [
    { name: "default", type: "boolean", description: "make it the default (--default=false: no default)" },
  ],
  examples: ["stowage backup-location set primary --default"],
  async run({ args, flags, settings, io, command }) {
    const name = args[0] as string;
    const makeDefault = flags.bool("default");
    if (makeDefault === undefined) throw new UsageError("nothing to change: pass --default", command.path);
    const config = await settings.config();
    existing(config, name, settings.configFile);
    const { defaultBackupLocation: current, ...rest } = config;
    if (makeDefault) {
      return save(
        settings,
        { ...rest, defaultBackupLocation: name },
        io,
        `Backup location "${name}" is now the default.`,
      );
    }
    const next = current === name ? rest : config;
    return save(settings, next, io, `Backup location "${name}" is not the default.`);
  },
};

/** `stowage backup-location delete`. */
export const locationDelete: CommandSpec = {
  path: ["backup-location", "delete"],
  summary: "Remove backup locations from the config file (the backups stay in storage)",
  args: { usage: "NAME...", min: 1, max: Number.POSITIVE_INFINITY },
  flags: [],
  async run({ args, settings, io }) {
    const config = await settings.config();
    const locations = { ...config.backupLocations };
    for (const name of args) {
      existing(config, name, settings.configFile);
      delete locations[name];
    }
    const { defaultBackupLocation, ...rest } = config;
    const next: CliConfig = {
      ...rest,
      backupLocations: locations,
      ...(defaultBackupLocation !== undefined && !args.includes(defaultBackupLocation)
        ? { defaultBackupLocation }
        : {}),
    };
    const names = args.map((n) => `"${n}"`).join(", ");
    return save(
      settings,
      next,
      io,
      `Backup location${args.length > 1 ? "s" : ""} ${names} deleted (the backups in storage are untouched).`,
    );
  },
};
