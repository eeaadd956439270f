/**
 * What the verbs of named locations kept in the config file share (`backup-location`,
 * `snapshot-location`): a {@link LocationSection} (the part of the config file a group works on) checks
 * names, finds locations and builds the group's `get` and `delete` verbs.
 */
import { ConfigError } from "../../errors.ts";
import type { CommandContext, CommandSpec } from "../command.ts";
import { type CliConfig, saveConfigFile } from "../config-file.ts";
import { EXIT, UsageError } from "../errors.ts";
import { type Listing, printListing, write } from "../output.ts";
import type { Settings } from "../settings.ts";
import type { FlagSpec, Io } from "../types.ts";

/** Writes `config` to the config file, then prints `message`; resolves to EXIT.ok. */
export const saveConfig = async (
  settings: Settings,
  config: CliConfig,
  io: Io,
  message: string,
): Promise<number> => {
  await saveConfigFile(settings.configFile, config);
  await write(io.stdout, `${message}\n`);
  return EXIT.ok;
};

/** A location's provider config as `k=v,k2=v2`, or `<none>`. */
export const formatConfig = (config: Readonly<Record<string, string>> | undefined): string =>
  Object.entries(config ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "<none>";

/** `record` without the keys `names` (in the order it had). */
export const without = <V>(
  record: Readonly<Record<string, V>> | undefined,
  names: readonly string[],
): Record<string, V> =>
  Object.fromEntries(Object.entries(record ?? {}).filter(([key]) => !names.includes(key)));

/** What `<group> create` asks for and adds to a section. */
export interface LocationCreateVerb<L> {
  readonly summary: string;
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  readonly examples: readonly string[];
  /** The location the flags describe, checked (no I/O); `name` is already a valid name. */
  location(context: CommandContext, name: string): Promise<L>;
  /** The config with `location` added as `name` (and what else the flags change). */
  add(config: CliConfig, name: string, location: L, context: CommandContext): CliConfig;
}

/** What `<group> get` prints of a section. */
export interface LocationGetVerb<L> {
  readonly summary: string;
  /** How the named locations print, given the whole config (e.g. to mark the default). */
  listing(config: CliConfig): Omit<Listing<readonly [string, L]>, "empty">;
}

/** What `<group> delete` does to a section. */
export interface LocationDeleteVerb {
  readonly summary: string;
  /** The config without the locations `names` (and what refers to them). */
  without(config: CliConfig, names: readonly string[]): CliConfig;
  /** What deleting a location leaves alone, said after the deletion. */
  readonly untouched: string;
}

/** How a {@link LocationSection} is told apart. */
export interface SectionSpec<L> {
  /** The word of messages: `backup location`, `volume snapshot location`. */
  readonly noun: string;
  /** The command group: `backup-location`. */
  readonly group: string;
  /** A valid name, shown when a name is not: `primary`. */
  readonly example: string;
  /** The section's locations by name. */
  entries(config: CliConfig): Readonly<Record<string, L>> | undefined;
  /** The names a missing location's error lists as known. @default every name, sorted */
  known?(config: CliConfig): string[];
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** A section of named locations in the config file (`backupLocations`, `volumeSnapshotLocations`). */
export class LocationSection<L> {
  readonly #spec: SectionSpec<L>;

  constructor(spec: SectionSpec<L>) {
    this.#spec = spec;
  }

  /** The noun with a capital, to start a message: `Backup location`. */
  get #title(): string {
    return `${this.#spec.noun.charAt(0).toUpperCase()}${this.#spec.noun.slice(1)}`;
  }

  /** Every name, sorted (the order `get` lists them). */
  names(config: CliConfig): string[] {
    return Object.keys(this.#spec.entries(config) ?? {}).sort();
  }

  /** The location named `name`; a ConfigError listing those that exist when there is none. */
  existing(config: CliConfig, name: string, file: string): L {
    const location = this.#spec.entries(config)?.[name];
    if (location) return location;
    const { noun, group, known } = this.#spec;
    throw new ConfigError(
      `${noun} "${name}" does not exist in ${file} (known: [${(known?.(config) ?? this.names(config)).join(", ")}]): run "stowage ${group} get" to see them`,
    );
  }

  /** Throws a UsageError unless `name` is a Kubernetes object name (lower case, `-` and `.`, ≤ 253). */
  #checkName(name: string, path: readonly string[]): void {
    if (name.length > 253 || !NAME.test(name)) {
      throw new UsageError(
        `invalid ${this.#spec.noun} name "${name}": expected lower case letters, digits, '-' and '.', starting and ending with a letter or digit (e.g. "${this.#spec.example}")`,
        path,
      );
    }
  }

  /** Throws a ConfigError when the config file `file` already has a location `name`. */
  #checkNew(config: CliConfig, name: string, file: string): void {
    if (this.#spec.entries(config)?.[name] === undefined) return;
    throw new ConfigError(
      `${this.#spec.noun} "${name}" already exists in ${file}: delete it first ("stowage ${this.#spec.group} delete ${name}") or choose another name`,
    );
  }

  /** `<group> create NAME`: checks the location, then adds it to the config file (a new name only). */
  createVerb(verb: LocationCreateVerb<L>): CommandSpec {
    return {
      path: [this.#spec.group, "create"],
      summary: verb.summary,
      description: verb.description,
      args: { usage: "NAME", min: 1, max: 1 },
      flags: verb.flags,
      examples: verb.examples,
      run: async (context) => {
        const { args, settings, io, command } = context;
        const name = args[0] as string;
        this.#checkName(name, command.path);
        const location = await verb.location(context, name);
        const config = await settings.config();
        this.#checkNew(config, name, settings.configFile);
        const next = verb.add(config, name, location, context);
        return saveConfig(settings, next, io, `${this.#title} "${name}" configured successfully.`);
      },
    };
  }

  /** `<group> get [NAME...]`: the locations named (each must exist), or all of them. */
  getVerb(verb: LocationGetVerb<L>): CommandSpec {
    return {
      path: [this.#spec.group, "get"],
      summary: verb.summary,
      args: { usage: "[NAME...]", min: 0, max: Number.POSITIVE_INFINITY },
      flags: [],
      outputs: ["table", "json", "yaml"],
      run: async ({ args, settings, io, output }) => {
        const config = await settings.config();
        const names = args.length > 0 ? [...new Set(args)] : this.names(config);
        const located = names.map(
          (name) => [name, this.existing(config, name, settings.configFile)] as const,
        );
        await printListing(io, output, located, args.length === 1, {
          ...verb.listing(config),
          empty: `No ${this.#spec.noun}s in ${settings.configFile}.`,
        });
        return EXIT.ok;
      },
    };
  }

  /** `<group> delete NAME...`: removes the locations (each must exist) from the config file. */
  deleteVerb(verb: LocationDeleteVerb): CommandSpec {
    return {
      path: [this.#spec.group, "delete"],
      summary: verb.summary,
      args: { usage: "NAME...", min: 1, max: Number.POSITIVE_INFINITY },
      flags: [],
      run: async ({ args, settings, io }) => {
        const config = await settings.config();
        for (const name of args) this.existing(config, name, settings.configFile);
        const names = args.map((n) => `"${n}"`).join(", ");
        return saveConfig(
          settings,
          verb.without(config, args),
          io,
          `${this.#title}${args.length > 1 ? "s" : ""} ${names} deleted (${verb.untouched}).`,
        );
      },
    };
  }
}
