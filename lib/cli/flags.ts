/**
 * Flag values after parsing, the global flags every command accepts, and parsers for velero's flag
 * value syntaxes (`k=v,k2=v2` maps, `pods=ns/a,ns/b;deployments=ns/d` ordered resources).
 */
import { UsageError } from "./errors.ts";
import type { FlagSpec, OutputFormat } from "./types.ts";

/** Flags every command accepts. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    name: "kubeconfig",
    type: "string",
    placeholder: "FILE",
    description: "kubeconfig to use (else $STOWAGE_KUBECONFIG, the config file, $KUBECONFIG, ~/.kube/config)",
  },
  {
    name: "context",
    type: "string",
    placeholder: "NAME",
    description: "kubeconfig context to use (else $STOWAGE_CONTEXT, the config file, the current context)",
  },
  {
    name: "store",
    type: "string",
    placeholder: "DIR|s3://BUCKET/PREFIX",
    description:
      "where backups are kept (else $STOWAGE_STORE, the config file's default backup location, ./stowage-data)",
  },
  {
    name: "s3-endpoint",
    type: "string",
    placeholder: "URL",
    description: "S3-compatible endpoint for s3:// stores (else $STOWAGE_S3_ENDPOINT, $AWS_ENDPOINT_URL_S3)",
  },
  {
    name: "region",
    type: "string",
    placeholder: "REGION",
    description: "S3 region for s3:// stores (else $STOWAGE_REGION, $AWS_REGION)",
  },
  {
    name: "output",
    short: "o",
    type: "string",
    placeholder: "FORMAT",
    description: "output format: table, json or yaml",
  },
  {
    name: "config",
    type: "string",
    placeholder: "FILE",
    description: "Stowage config file (else $STOWAGE_CONFIG, ~/.config/stowage/config.json)",
  },
  { name: "help", short: "h", type: "boolean", description: "show help for the command" },
];

/** A parsed flag value. */
export type FlagValue = string | boolean | readonly string[];

/** Typed access to parsed flags; each accessor checks the flag's declared type. */
export class Flags {
  readonly #values: ReadonlyMap<string, FlagValue>;
  readonly #command: readonly string[];

  constructor(values: ReadonlyMap<string, FlagValue>, command: readonly string[]) {
    this.#values = values;
    this.#command = command;
  }

  /** True when the flag was given at all. */
  has(name: string): boolean {
    return this.#values.has(name);
  }

  /** A string flag's value, or undefined when absent. */
  string(name: string): string | undefined {
    const value = this.#values.get(name);
    if (value === undefined || typeof value === "string") return value;
    throw new Error(`flag --${name} is not a string flag`);
  }

  /** A boolean flag: true, false (`--flag=false`), or undefined when absent (tri-state). */
  bool(name: string): boolean | undefined {
    const value = this.#values.get(name);
    if (value === undefined || typeof value === "boolean") return value;
    throw new Error(`flag --${name} is not a boolean flag`);
  }

  /** A list flag's values (comma-split, repeats concatenated), or undefined when absent. */
  list(name: string): string[] | undefined {
    const value = this.#values.get(name);
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return [...value];
    throw new Error(`flag --${name} is not a list flag`);
  }

  /** A `k=v,k2=v2` flag as a record, or undefined when absent. */
  map(name: string): Record<string, string> | undefined {
    const raw = this.list(name);
    return raw === undefined ? undefined : parseKeyValues(raw, `--${name}`, this.#command);
  }
}

/** `T` with undefined values dropped from its keys' types (for exactOptionalPropertyTypes). */
export type Compact<T> = { [K in keyof T]?: Exclude<T[K], undefined> };

/** Drops the keys whose value is undefined: `{ a: 1, b: undefined }` → `{ a: 1 }`. */
export const compact = <T extends Record<string, unknown>>(object: T): Compact<T> =>
  Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Compact<T>;

/** Splits comma-separated values, dropping empty parts (`"a,,b"` → `["a","b"]`). */
export const splitList = (text: string): string[] =>
  text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");

/** `["a=1", "b=2"]` → `{ a: "1", b: "2" }`; a part without `=` is a usage error. */
export const parseKeyValues = (
  parts: readonly string[],
  flag: string,
  command: readonly string[],
): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(
        `invalid value "${part}" for ${flag}: expected key=value pairs separated by commas, e.g. app=shop,tier=web`,
        command,
      );
    }
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
};

/**
 * Velero's `--ordered-resources`: `pods=ns1/a,ns1/b;persistentvolumeclaims=ns1/c` →
 * `{ pods: "ns1/a,ns1/b", persistentvolumeclaims: "ns1/c" }`.
 */
export const parseOrderedResources = (text: string, command: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const entry of text.split(";").map((e) => e.trim())) {
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const resource = eq < 0 ? "" : entry.slice(0, eq).trim();
    const items = eq < 0 ? [] : splitList(entry.slice(eq + 1));
    if (resource === "" || items.length === 0) {
      throw new UsageError(
        `invalid value "${entry}" for --ordered-resources: expected RESOURCE=ns/name,ns/name entries separated by ';', e.g. 'pods=ns1/a,ns1/b;persistentvolumes=pv1'`,
        command,
      );
    }
    out[resource] = items.join(",");
  }
  return out;
};

/** Velero's `--or-selector "a=b or c=d"` → `["a=b", "c=d"]`. */
export const parseOrSelectors = (text: string): string[] =>
  text
    .split(/\s+or\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== "");

const FORMATS: readonly OutputFormat[] = ["table", "json", "yaml"];

/** Checks `-o` against the formats a command supports. */
export const parseOutput = (
  value: string | undefined,
  supported: readonly OutputFormat[],
  command: readonly string[],
): OutputFormat => {
  const format = value ?? "table";
  if (!FORMATS.includes(format as OutputFormat)) {
    throw new UsageError(`invalid output format "${format}": expected one of table, json, yaml`, command);
  }
  if (!supported.includes(format as OutputFormat)) {
    throw new UsageError(
      `"stowage ${command.join(" ")}" does not support -o ${format}: it supports ${supported.join(", ")}`,
      command,
    );
  }
  return format as OutputFormat;
};
