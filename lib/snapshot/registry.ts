/**
 * Volume snapshotters by name, Velero's way: `<dns-subdomain>/<name>`; a bare name means `velero.io/<name>`
 * (`aws` is `velero.io/aws`), except where only a `stowage.dev/<name>` exists (`local`). Built in:
 * `velero.io/aws`, `velero.io/gcp`, `velero.io/azure`, `stowage.dev/local`. The cloud ones load their SDK
 * only when a location uses them.
 */
import { ConfigError, describeValue } from "../errors.ts";
import { validateProviderName } from "../store/providers.ts";
import { createNamedRegistry } from "../util/named-registry.ts";
import { awsVolumeSnapshotter, azureVolumeSnapshotter, gcpVolumeSnapshotter } from "./builtin.ts";
import { localVolumeSnapshotter } from "./providers/local.ts";
import type { VolumeSnapshotterFactory } from "./types.ts";

const registry = createNamedRegistry<VolumeSnapshotterFactory>(
  "volume snapshotter",
  (name) => resolveSnapshotterName(name),
  [
    ["velero.io/aws", awsVolumeSnapshotter()],
    ["velero.io/gcp", gcpVolumeSnapshotter()],
    ["velero.io/azure", azureVolumeSnapshotter()],
    ["stowage.dev/local", localVolumeSnapshotter()],
  ],
);

/**
 * The full name of a snapshotter: names with a `/` as they are; a bare name is `velero.io/<name>` unless
 * only `stowage.dev/<name>` is registered.
 */
export const resolveSnapshotterName = (name: string): string => {
  if (name.includes("/")) return name;
  const velero = `velero.io/${name}`;
  if (!registry.has(velero) && registry.has(`stowage.dev/${name}`)) return `stowage.dev/${name}`;
  return velero;
};

/**
 * Registers a volume snapshotter under `name` (bare names get `velero.io/`), so locations with that
 * `provider` use it. Returns the full name. Registering a taken name throws unless `replace` is set
 * (e.g. to point the built-in `aws` at another endpoint).
 *
 * @example
 * registerVolumeSnapshotter("example.io/nfs", () => new NfsSnapshotter());
 */
export const registerVolumeSnapshotter = (
  name: string,
  factory: VolumeSnapshotterFactory,
  options: {
    /**
     * Replace a snapshotter already registered under that name (built-ins included).
     * @default false
     */
    readonly replace?: boolean;
  } = {},
): string => {
  const full = validateProviderName(name.includes("/") ? name : `velero.io/${name}`);
  if (typeof factory !== "function") {
    throw new ConfigError(
      `volume snapshotter "${full}": expected a factory function returning a VolumeSnapshotter, got ${describeValue(factory)}`,
    );
  }
  return registry.add(full, factory, options.replace);
};

/** Removes a snapshotter; returns whether one was registered under that name. */
export const unregisterVolumeSnapshotter = (name: string): boolean => registry.remove(name);

/** Full names of the registered snapshotters, sorted. */
export const listVolumeSnapshotters = (): string[] => registry.names();

/** The factory registered under `name` (bare names resolved as {@link resolveSnapshotterName} does). */
export const getVolumeSnapshotterFactory = (name: string): VolumeSnapshotterFactory | undefined =>
  registry.get(name);
