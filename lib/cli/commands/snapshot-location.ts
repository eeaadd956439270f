/**
 * `stowage snapshot-location create|get|delete`: named volume snapshot locations (velero's
 * VolumeSnapshotLocations) kept in the config file, so `--volume-snapshot-locations` takes names as
 * velero's does, and commands given none use them all. A location is checked when it is created: the
 * provider must be registered and every config key one its snapshotter knows (no I/O, no credentials).
 */
import { ConfigError, ValidationError } from "../../errors.ts";
import { checkConfigKeys } from "../../snapshot/errors.ts";
import { checkSnapshotLocations } from "../../snapshot/locations.ts";
import { getVolumeSnapshotterFactory } from "../../snapshot/registry.ts";
import type { CommandSpec } from "../command.ts";
import type { CliConfig, StoredSnapshotLocation } from "../config-file.ts";
import { saveConfigFile } from "../config-file.ts";
import { EXIT, UsageError } from "../errors.ts";
import { encodeObjects, formatTable, write } from "../output.ts";

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const known = (config: CliConfig) => Object.keys(config.volumeSnapshotLocations ?? {}).sort();

/** The location named `name`, or a ConfigError listing those that exist. */
const existing = (config: CliConfig, name: string, file: string): StoredSnapshotLocation => {
  const location = config.volumeSnapshotLocations?.[name];
  if (location) return location;
  throw new ConfigError(
    `volume snapshot location "${name}" does not exist in ${file} (known: [${known(config).join(", ")}]): run "stowage snapshot-location get" to see them`,
  );
};

/** `stowage snapshot-location create`. */
export const snapshotLocationCreate: CommandSpec = {
  path: ["snapshot-location", "create"],
  summary: "Add a named volume snapshot location to the config file",
  description: `Adds a location where PV snapshots are taken (velero's VolumeSnapshotLocation: provider and
config) to the config file. backup create, restore create, backup delete and the runner use every
configured location unless --volume-snapshot-locations names some (by name, as velero's does, or
inline as NAME=PROVIDER?KEY=VALUE). A backup takes one location per provider. Config keys are checked
as the provider's snapshotter checks them; credentials are never stored (each cloud's own chain).`,
  args: { usage: "NAME", min: 1, max: 1 },
  flags: [
    {
      name: "provider",
      type: "string",
      placeholder: "NAME",
      description: "aws, gcp, azure, local, or a registered <domain>/<name> (required)",
    },
    {
      name: "config",
      type: "list",
      placeholder: "MAP",
      description: "provider config k=v,… e.g. region=eu-west-1 (aws), project=p (gcp)",
    },
  ],
  examples: [
    "stowage snapshot-location create ebs --provider aws --config region=eu-west-1",
    "stowage snapshot-location create disks --provider local --config path=/var/lib/stowage-snapshots",
  ],
  async run({ args, flags, settings, io, command }) {
    const name = args[0] as string;
    if (name.length > 253 || !NAME.test(name)) {
      throw new UsageError(
        `invalid volume snapshot location name "${name}": expected lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. "ebs")`,
        command.path,
      );
    }
    const provider = flags.string("provider");
    if (!provider) throw new UsageError("--provider is required", command.path);
    const locationConfig = flags.map("config") ?? {};
    const problems: string[] = [];
    const [resolved] = checkSnapshotLocations([{ name, provider, config: locationConfig }], problems);
    if (!resolved) throw new ValidationError(problems, `volume snapshot location "${name}"`);
    // the snapshotter's valid keys, without init (no I/O, no credentials)
    const snapshotter = await getVolumeSnapshotterFactory(resolved.provider)!();
    checkConfigKeys(resolved.provider, locationConfig, snapshotter.validKeys);
    await snapshotter.close?.();
    const config = await settings.config();
    if (config.volumeSnapshotLocations?.[name]) {
      throw new ConfigError(
        `volume snapshot location "${name}" already exists in ${settings.configFile}: delete it first ("stowage snapshot-location delete ${name}") or choose another name`,
      );
    }
    const location: StoredSnapshotLocation = {
      provider,
      ...(Object.keys(locationConfig).length ? { config: locationConfig } : {}),
    };
    await saveConfigFile(settings.configFile, {
      ...config,
      volumeSnapshotLocations: { ...config.volumeSnapshotLocations, [name]: location },
    });
    await write(io.stdout, `Volume snapshot location "${name}" configured successfully.\n`);
    return EXIT.ok;
  },
};

/** `stowage snapshot-location get`. */
export const snapshotLocationGet: CommandSpec = {
  path: ["snapshot-location", "get"],
  summary: "List volume snapshot locations",
  args: { usage: "[NAME...]", min: 0, max: Number.POSITIVE_INFINITY },
  flags: [],
  outputs: ["table", "json", "yaml"],
  async run({ args, settings, io, output }) {
    const config = await settings.config();
    const names = args.length > 0 ? [...new Set(args)] : known(config);
    const locations = names.map((name) => [name, existing(config, name, settings.configFile)] as const);
    if (output !== "table") {
      const objects = locations.map(([n, l]) => ({
        apiVersion: "velero.io/v1",
        kind: "VolumeSnapshotLocation",
        metadata: { name: n },
        spec: {
          provider: l.provider,
          ...(l.config && Object.keys(l.config).length ? { config: l.config } : {}),
        },
      }));
      const kind = { apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocationList" };
      await write(io.stdout, encodeObjects(objects, kind, args.length === 1, output));
      return EXIT.ok;
    }
    if (locations.length === 0) {
      io.stderr.write(`No volume snapshot locations in ${settings.configFile}.\n`);
      return EXIT.ok;
    }
    const rows = locations.map(([n, l]) => [
      n,
      l.provider,
      Object.entries(l.config ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",") || "<none>",
    ]);
    await write(io.stdout, formatTable(["NAME", "PROVIDER", "CONFIG"], rows));
    return EXIT.ok;
  },
};

/** `stowage snapshot-location delete`. */
export const snapshotLocationDelete: CommandSpec = {
  path: ["snapshot-location", "delete"],
  summary: "Remove volume snapshot locations from the config file (the snapshots stay)",
  args: { usage: "NAME...", min: 1, max: Number.POSITIVE_INFINITY },
  flags: [],
  async run({ args, settings, io }) {
    const config = await settings.config();
    const locations = { ...config.volumeSnapshotLocations };
    for (const name of args) {
      existing(config, name, settings.configFile);
      delete locations[name];
    }
    await saveConfigFile(settings.configFile, { ...config, volumeSnapshotLocations: locations });
    const names = args.map((n) => `"${n}"`).join(", ");
    await write(
      io.stdout,
      `Volume snapshot location${args.length > 1 ? "s" : ""} ${names} deleted (the snapshots are untouched; backups that use them need the location to be deleted or restored).\n`,
    );
    return EXIT.ok;
  },
};
