/**
 * `stowage snapshot-location create|get|delete`: named volume snapshot locations (velero's
 * VolumeSnapshotLocations) kept in the config file, so `--volume-snapshot-locations` takes names as
 * velero's does, and commands given none use them all. A location is checked when it is created: the
 * provider must be registered and every config key one its snapshotter knows (no I/O, no credentials).
 */
import { ValidationError } from "../../errors.ts";
import { checkConfigKeys } from "../../snapshot/errors.ts";
import { checkSnapshotLocations } from "../../snapshot/locations.ts";
import { getVolumeSnapshotterFactory } from "../../snapshot/registry.ts";
import type { CommandSpec } from "../command.ts";
import type { StoredSnapshotLocation } from "../config-file.ts";
import { UsageError } from "../errors.ts";
import { formatConfig, LocationSection, without } from "./location-verbs.ts";

/** The `volumeSnapshotLocations` of the config file. */
const SNAPSHOT_LOCATIONS = new LocationSection<StoredSnapshotLocation>({
  noun: "volume snapshot location",
  group: "snapshot-location",
  example: "ebs",
  entries: (config) => config.volumeSnapshotLocations,
});

/** `stowage snapshot-location create`. */
export const snapshotLocationCreate: CommandSpec = SNAPSHOT_LOCATIONS.createVerb({
  summary: "Add a named volume snapshot location to the config file",
  description: `Adds a location where PV snapshots are taken (velero's VolumeSnapshotLocation: provider and
config) to the config file. backup create, restore create, backup delete and the runner use every
configured location unless --volume-snapshot-locations names some (by name, as velero's does, or
inline as NAME=PROVIDER?KEY=VALUE). A backup takes one location per provider. Config keys are checked
as the provider's snapshotter checks them; credentials are never stored (each cloud's own chain).`,
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
  async location({ flags, command }, name) {
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
    return { provider, ...(Object.keys(locationConfig).length ? { config: locationConfig } : {}) };
  },
  add: (config, name, location) => ({
    ...config,
    volumeSnapshotLocations: { ...config.volumeSnapshotLocations, [name]: location },
  }),
});

/** `stowage snapshot-location get`. */
export const snapshotLocationGet: CommandSpec = SNAPSHOT_LOCATIONS.getVerb({
  summary: "List volume snapshot locations",
  listing: () => ({
    list: { apiVersion: "velero.io/v1", kind: "VolumeSnapshotLocationList" },
    object: ([name, location]) => ({
      apiVersion: "velero.io/v1",
      kind: "VolumeSnapshotLocation",
      metadata: { name },
      spec: {
        provider: location.provider,
        ...(location.config && Object.keys(location.config).length ? { config: location.config } : {}),
      },
    }),
    headers: ["NAME", "PROVIDER", "CONFIG"],
    row: ([name, location]) => [name, location.provider, formatConfig(location.config)],
  }),
});

/** `stowage snapshot-location delete`. */
export const snapshotLocationDelete: CommandSpec = SNAPSHOT_LOCATIONS.deleteVerb({
  summary: "Remove volume snapshot locations from the config file (the snapshots stay)",
  without: (config, names) => ({
    ...config,
    volumeSnapshotLocations: without(config.volumeSnapshotLocations, names),
  }),
  untouched: "the snapshots are untouched; backups that use them need the location to be deleted or restored",
});
