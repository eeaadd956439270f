/**
 * `stowage backup-location create|get|set|delete`: named backup locations (velero's
 * BackupStorageLocations) kept in the config file. A location is validated with the SDK's
 * `openLocation` when it is created, so unknown config keys fail then, with the plugin's message.
 */
import { getObjectStoreProvider, openLocation, resolveProviderName } from "../../store/index.ts";
import { validateProviderName } from "../../store/providers.ts";
import type { CommandSpec } from "../command.ts";
import type { StoredLocation } from "../config-file.ts";
import { UsageError } from "../errors.ts";
import { toBackupLocation } from "../stores.ts";
import { formatConfig, LocationSection, saveConfig, without } from "./location-verbs.ts";

/** The `backupLocations` of the config file. */
const BACKUP_LOCATIONS = new LocationSection<StoredLocation>({
  noun: "backup location",
  group: "backup-location",
  example: "primary",
  entries: (config) => config.backupLocations,
  known: (config) => Object.keys(config.backupLocations ?? {}), // in the file's order
});

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

/** `stowage backup-location create`. */
export const locationCreate: CommandSpec = BACKUP_LOCATIONS.createVerb({
  summary: "Add a named backup location to the config file",
  description: `Adds a location (velero's BackupStorageLocation: provider, bucket, prefix, config) to the config file.
Config keys are checked as the provider's plugin checks them. Credentials are never stored: S3 uses the
AWS chain (environment, AWS_PROFILE / config "profile", credentialsFile). A provider other than aws and
file can be named as <domain>/<name>; only scripts that register it can open the location.`,
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
  async location({ flags, io, command }) {
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
    return location;
  },
  add: (config, name, location, { flags }) => ({
    ...config,
    backupLocations: { ...config.backupLocations, [name]: location },
    ...(flags.bool("default") === true ? { defaultBackupLocation: name } : {}),
  }),
});

/** `stowage backup-location get`. */
export const locationGet: CommandSpec = BACKUP_LOCATIONS.getVerb({
  summary: "List backup locations",
  listing: (config) => ({
    list: { apiVersion: "velero.io/v1", kind: "BackupStorageLocationList" },
    object: ([name, location]) => asVeleroObject(name, location, config.defaultBackupLocation === name),
    headers: ["NAME", "PROVIDER", "BUCKET/PREFIX", "CONFIG", "DEFAULT"],
    row: ([name, location]) => [
      name,
      resolveProviderName(location.provider),
      location.prefix ? `${location.bucket}/${location.prefix}` : location.bucket,
      formatConfig(location.config),
      config.defaultBackupLocation === name ? "true" : "",
    ],
  }),
});

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
    BACKUP_LOCATIONS.existing(config, name, settings.configFile);
    const { defaultBackupLocation: current, ...rest } = config;
    if (makeDefault) {
      return saveConfig(
        settings,
        { ...rest, defaultBackupLocation: name },
        io,
        `Backup location "${name}" is now the default.`,
      );
    }
    const next = current === name ? rest : config;
    return saveConfig(settings, next, io, `Backup location "${name}" is not the default.`);
  },
};

/** `stowage backup-location delete`. */
export const locationDelete: CommandSpec = BACKUP_LOCATIONS.deleteVerb({
  summary: "Remove backup locations from the config file (the backups stay in storage)",
  without: ({ defaultBackupLocation, ...config }, names) => ({
    ...config,
    backupLocations: without(config.backupLocations, names),
    ...(defaultBackupLocation !== undefined && !names.includes(defaultBackupLocation)
      ? { defaultBackupLocation }
      : {}),
  }),
  untouched: "the backups in storage are untouched",
});
