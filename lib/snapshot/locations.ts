/**
 * Volume snapshot locations from options to ready snapshotters: {@link checkSnapshotLocations} validates
 * the data (problems collected, for a ValidationError together with the run's other options), and
 * {@link openSnapshotLocations} makes and initialises one snapshotter per location — unknown config keys,
 * missing settings and credentials that do not work fail here, before a backup or restore starts.
 */
import { ConfigError, describeValue, isStowageError } from "../errors.ts";
import type { KubeObject } from "../kube/types.ts";
import { objectNameProblem } from "../store/names.ts";
import { checkConfigKeys, messageOf } from "./errors.ts";
import { getVolumeSnapshotterFactory, listVolumeSnapshotters, resolveSnapshotterName } from "./registry.ts";
import type { VolumeSnapshotLocation, VolumeSnapshotter } from "./types.ts";

/** A validated location: full provider name, config copied. */
export interface ResolvedSnapshotLocation {
  readonly name: string;
  /** Full provider name, e.g. `velero.io/aws`. */
  readonly provider: string;
  readonly config: Readonly<Record<string, string>>;
}

/** A location with its initialised snapshotter. */
export interface OpenedSnapshotLocation {
  readonly location: ResolvedSnapshotLocation;
  readonly snapshotter: VolumeSnapshotter;
}

/** The opened locations of one run. */
export interface SnapshotLocations {
  /** In the order given. */
  readonly all: readonly OpenedSnapshotLocation[];
  /** The location named `name`, if open. */
  get(name: string): OpenedSnapshotLocation | undefined;
  /** Releases every snapshotter's clients. */
  close(): Promise<void>;
}

/**
 * Checks `locations` (an array of {@link VolumeSnapshotLocation}) and appends what is wrong to
 * `problems`; returns the valid ones resolved. With `onePerProvider`, Velero's backup rule applies: at
 * most one location per provider.
 */
export const checkSnapshotLocations = (
  locations: unknown,
  problems: string[],
  options: { readonly onePerProvider?: boolean } = {},
): ResolvedSnapshotLocation[] => {
  if (locations === undefined) return [];
  if (!Array.isArray(locations)) {
    problems.push(
      `volumeSnapshotLocations: expected an array of { name, provider, config? }, got ${describeValue(locations)}`,
    );
    return [];
  }
  const resolved: ResolvedSnapshotLocation[] = [];
  const names = new Set<string>();
  const byProvider = new Map<string, string>();
  for (const [index, raw] of locations.entries()) {
    const where = `volumeSnapshotLocations[${index}]`;
    if (typeof raw !== "object" || raw === null) {
      problems.push(`${where}: expected { name, provider, config? }, got ${describeValue(raw)}`);
      continue;
    }
    const { name, provider, config = {} } = raw as Partial<VolumeSnapshotLocation>;
    const nameProblem = objectNameProblem(name);
    if (nameProblem) problems.push(`${where}.name: ${nameProblem}`);
    else if (names.has(name as string)) problems.push(`${where}.name: "${name}" is used by two locations`);
    if (typeof provider !== "string" || provider === "") {
      problems.push(
        `${where}.provider: expected a provider name such as "aws", "gcp", "azure" or "local", got ${describeValue(provider)}`,
      );
      continue;
    }
    const full = resolveSnapshotterName(provider);
    if (!getVolumeSnapshotterFactory(full)) {
      problems.push(
        `${where}.provider: unknown volume snapshotter "${provider}" (resolved to "${full}"); registered ones are [${listVolumeSnapshotters().join(", ")}]: use one of them, or call registerVolumeSnapshotter("${full}", …) first`,
      );
      continue;
    }
    if (
      typeof config !== "object" ||
      config === null ||
      Array.isArray(config) ||
      !Object.values(config).every((v) => typeof v === "string")
    ) {
      problems.push(
        `${where}.config: expected an object of strings (Velero config values are strings), got ${describeValue(config)}`,
      );
      continue;
    }
    if (nameProblem || names.has(name as string)) continue;
    names.add(name as string);
    const other = byProvider.get(full);
    if (options.onePerProvider && other !== undefined) {
      problems.push(
        `${where}: more than one volume snapshot location for provider ${full} ("${other}" and "${name}"): a backup uses one location per provider`,
      );
      continue;
    }
    byProvider.set(full, name as string);
    resolved.push({ name: name as string, provider: full, config: { ...config } });
  }
  return resolved;
};

/** Makes and initialises a snapshotter for `location`; errors name the location. */
const openOne = async (location: ResolvedSnapshotLocation): Promise<OpenedSnapshotLocation> => {
  const where = `volume snapshot location "${location.name}" (${location.provider})`;
  let snapshotter: VolumeSnapshotter;
  try {
    // checkSnapshotLocations made sure the factory exists
    snapshotter = await getVolumeSnapshotterFactory(location.provider)!();
    checkConfigKeys(location.provider, location.config, snapshotter.validKeys);
    await snapshotter.init(location.config);
  } catch (error) {
    const message = `${where}: ${messageOf(error)}`;
    throw isStowageError(error) && error.code === "ERR_CONFIG"
      ? new ConfigError(message, { cause: error })
      : new ConfigError(`${message}: check the location's config and credentials`, { cause: error });
  }
  return { location, snapshotter };
};

/** Opens every location in parallel; if any fails, the ones opened are closed and the first error is thrown. */
export const openSnapshotLocations = async (
  locations: readonly ResolvedSnapshotLocation[],
): Promise<SnapshotLocations> => {
  const settled = await Promise.allSettled(locations.map(openOne));
  const opened = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const close = async () => {
    await Promise.all(opened.map((o) => o.snapshotter.close?.().catch(() => undefined)));
  };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { all: opened, get: (name) => opened.find((o) => o.location.name === name), close };
};

/**
 * The first location whose snapshotter handles `pv` (Velero's loop over the backup's locations), with
 * the volume ID; `errors` gets one message per snapshotter that failed on the PV.
 */
export const findSnapshotter = (
  locations: SnapshotLocations,
  pv: KubeObject,
  errors: string[],
): { opened: OpenedSnapshotLocation; volumeId: string } | undefined => {
  for (const opened of locations.all) {
    try {
      const volumeId = opened.snapshotter.getVolumeId(pv);
      if (volumeId) return { opened, volumeId };
    } catch (error) {
      errors.push(
        `volume snapshot location "${opened.location.name}": error getting the volume ID: ${messageOf(error)}`,
      );
    }
  }
  return undefined;
};
