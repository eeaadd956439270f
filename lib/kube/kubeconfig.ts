/**
 * kubeconfig files, read and merged as kubectl (client-go's `clientcmd`) does, without
 * `@kubernetes/client-node`:
 * - several files merge by name: the first file to define a cluster, user or context wins, and the first
 *   non-empty `current-context` wins;
 * - relative paths (`certificate-authority`, `client-certificate`, `client-key`, `tokenFile`, and an exec
 *   `command` containing a `/`) are resolved against the directory of the file that defined them;
 * - YAML 1.1 scalars as Go's YAML decoder reads them into string fields: `0123` stays `"0123"`, and
 *   `yes`/`on`/`true` are booleans only where a boolean is expected.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "yaml";
import { ConfigError } from "../errors.ts";
import { isRecord } from "../util/is-record.ts";

/** A `clusters[].cluster` entry, paths absolute. */
export interface KubeconfigCluster {
  readonly name: string;
  readonly server: string | undefined;
  readonly certificateAuthority: string | undefined;
  /** Base64 of the PEM bundle, as written in the file. */
  readonly certificateAuthorityData: string | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName: string | undefined;
  readonly proxyUrl: string | undefined;
  /** `extensions[name=client.authentication.k8s.io/exec].extension`, handed to exec plugins. */
  readonly execExtension: unknown;
  /** The file that defined it. */
  readonly file: string;
}

/** An exec credential plugin (`users[].user.exec`). */
export interface ExecPluginConfig {
  readonly apiVersion: string | undefined;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly installHint: string | undefined;
  readonly provideClusterInfo: boolean;
  readonly interactiveMode: string | undefined;
}

/** A `users[].user` entry, paths absolute. */
export interface KubeconfigUser {
  readonly name: string;
  readonly token: string | undefined;
  readonly tokenFile: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly clientCertificate: string | undefined;
  /** Base64 of the PEM certificate. */
  readonly clientCertificateData: string | undefined;
  readonly clientKey: string | undefined;
  /** Base64 of the PEM key. */
  readonly clientKeyData: string | undefined;
  readonly exec: ExecPluginConfig | undefined;
  /** `auth-provider` (oidc, gcp, azure): handled by `@kubernetes/client-node`, loaded only then. */
  readonly authProvider: { readonly name: string; readonly config: Record<string, string> } | undefined;
  /** Impersonation (`as`, `as-uid`, `as-groups`). */
  readonly impersonate: {
    readonly user: string | undefined;
    readonly uid: string | undefined;
    readonly groups: readonly string[];
  };
  readonly file: string;
}

/** A `contexts[].context` entry. */
export interface KubeconfigContext {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace: string | undefined;
}

/** The merge of one or more kubeconfig files. */
export interface Kubeconfig {
  readonly clusters: ReadonlyMap<string, KubeconfigCluster>;
  readonly users: ReadonlyMap<string, KubeconfigUser>;
  readonly contexts: ReadonlyMap<string, KubeconfigContext>;
  readonly currentContext: string | undefined;
}

type Raw = Record<string, unknown>;

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUE = new Set(["true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON"]);
const FALSE = new Set(["false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF"]);

/** Reads the fields of one file; every scalar is a string (YAML's failsafe schema). */
class Fields {
  readonly file: string;
  readonly where: string;
  constructor(file: string, where: string) {
    this.file = file;
    this.where = where;
  }
  fail(field: string, expected: string, value: unknown): never {
    const got = Array.isArray(value) ? "a list" : typeof value === "object" ? "a map" : JSON.stringify(value);
    throw new ConfigError(
      `kubeconfig "${this.file}": ${this.where}${field} must be ${expected}, found ${got}; fix the file (kubectl config view shows what kubectl reads)`,
    );
  }
  string(raw: Raw, field: string): string | undefined {
    const value = raw[field];
    if (value === undefined || value === null || (typeof value === "string" && NULLS.has(value)))
      return undefined;
    return typeof value === "string" ? value : this.fail(field, "a string", value);
  }
  bool(raw: Raw, field: string): boolean {
    const value = this.string(raw, field);
    if (value === undefined || FALSE.has(value)) return false;
    return TRUE.has(value) ? true : this.fail(field, "true or false", value);
  }
  map(raw: Raw, field: string): Raw | undefined {
    const value = raw[field];
    if (value === undefined || value === null || (typeof value === "string" && NULLS.has(value)))
      return undefined;
    return isRecord(value) ? value : this.fail(field, "a map", value);
  }
  list(raw: Raw, field: string): unknown[] {
    const value = raw[field];
    if (value === undefined || value === null || (typeof value === "string" && NULLS.has(value))) return [];
    return Array.isArray(value) ? value : this.fail(field, "a list", value);
  }
  path(raw: Raw, field: string): string | undefined {
    const value = this.string(raw, field);
    return value === undefined || isAbsolute(value) ? value : resolve(dirname(this.file), value);
  }
}

/** `[{ name, <kind>: {...} }]` → named entries; entries without a name are skipped, as client-go does. */
const named = (fields: Fields, raw: Raw, list: string, kind: string): [string, Raw, Fields][] =>
  fields.list(raw, list).flatMap((entry, index) => {
    const at = new Fields(fields.file, `${list}[${index}].`);
    if (!isRecord(entry)) return at.fail("", `a map { name, ${kind} }`, entry);
    const name = at.string(entry, "name");
    if (name === undefined) return [];
    return [[name, at.map(entry, kind) ?? {}, new Fields(fields.file, `${list}["${name}"].${kind}.`)]];
  });

const readCluster = (name: string, raw: Raw, f: Fields): KubeconfigCluster => {
  const execExtension = f
    .list(raw, "extensions")
    .find((e) => isRecord(e) && e.name === "client.authentication.k8s.io/exec") as Raw | undefined;
  return {
    name,
    server: f.string(raw, "server"),
    certificateAuthority: f.path(raw, "certificate-authority"),
    certificateAuthorityData: f.string(raw, "certificate-authority-data"),
    insecureSkipTlsVerify: f.bool(raw, "insecure-skip-tls-verify"),
    tlsServerName: f.string(raw, "tls-server-name"),
    proxyUrl: f.string(raw, "proxy-url"),
    execExtension: execExtension?.extension,
    file: f.file,
  };
};

const readExec = (raw: Raw | undefined, f: Fields): ExecPluginConfig | undefined => {
  if (!raw) return undefined;
  const at = new Fields(f.file, `${f.where}exec.`);
  const command = at.string(raw, "command");
  if (command === undefined) return at.fail("command", "the plugin's executable", raw.command ?? "");
  return {
    apiVersion: at.string(raw, "apiVersion"),
    // client-go resolves the command against the file only when it is a path, not a name on PATH
    command: command.includes("/") && !isAbsolute(command) ? resolve(dirname(f.file), command) : command,
    args: at.list(raw, "args").map((a) => (typeof a === "string" ? a : at.fail("args", "strings", a))),
    env: at.list(raw, "env").map((e) => {
      const name = isRecord(e) ? at.string(e, "name") : undefined;
      return name === undefined || !isRecord(e)
        ? at.fail("env", "a list of { name, value }", e)
        : { name, value: at.string(e, "value") ?? "" };
    }),
    installHint: at.string(raw, "installHint"),
    provideClusterInfo: at.bool(raw, "provideClusterInfo"),
    interactiveMode: at.string(raw, "interactiveMode"),
  };
};

const readUser = (name: string, raw: Raw, f: Fields): KubeconfigUser => {
  const provider = f.map(raw, "auth-provider");
  const providerName = provider ? f.string(provider, "name") : undefined;
  const providerConfig = provider ? (f.map(provider, "config") ?? {}) : {};
  return {
    name,
    token: f.string(raw, "token"),
    tokenFile: f.path(raw, "tokenFile") ?? f.path(raw, "token-file"),
    username: f.string(raw, "username"),
    password: f.string(raw, "password"),
    clientCertificate: f.path(raw, "client-certificate"),
    clientCertificateData: f.string(raw, "client-certificate-data"),
    clientKey: f.path(raw, "client-key"),
    clientKeyData: f.string(raw, "client-key-data"),
    exec: readExec(f.map(raw, "exec"), f),
    authProvider:
      providerName === undefined
        ? undefined
        : {
            name: providerName,
            config: Object.fromEntries(
              Object.entries(providerConfig).filter((e): e is [string, string] => typeof e[1] === "string"),
            ),
          },
    impersonate: {
      user: f.string(raw, "as"),
      uid: f.string(raw, "as-uid"),
      groups: f.list(raw, "as-groups").filter((g): g is string => typeof g === "string"),
    },
    file: f.file,
  };
};

/** Parses one kubeconfig text (from `file`, for messages and relative paths). */
export const parseKubeconfig = (text: string, file: string): Kubeconfig => {
  let doc: unknown;
  try {
    doc = parse(text, { schema: "failsafe" });
  } catch (error) {
    throw new ConfigError(
      `kubeconfig "${file}" is not a valid kubeconfig (${(error as Error).message.split("\n")[0]}): expected a YAML file with clusters, users and contexts`,
      { cause: error },
    );
  }
  if (doc === undefined || doc === null || (typeof doc === "string" && NULLS.has(doc))) doc = {};
  if (!isRecord(doc)) {
    throw new ConfigError(
      `kubeconfig "${file}" is not a valid kubeconfig: expected a YAML map with clusters, users and contexts, found ${Array.isArray(doc) ? "a list" : "a scalar"}`,
    );
  }
  const top = new Fields(file, "");
  const firstWins = <T>(entries: [string, T][]) => {
    const map = new Map<string, T>();
    for (const [name, value] of entries) if (!map.has(name)) map.set(name, value);
    return map;
  };
  return {
    clusters: firstWins(named(top, doc, "clusters", "cluster").map(([n, r, f]) => [n, readCluster(n, r, f)])),
    users: firstWins(named(top, doc, "users", "user").map(([n, r, f]) => [n, readUser(n, r, f)])),
    contexts: firstWins(
      named(top, doc, "contexts", "context").map(([name, raw, f]) => [
        name,
        {
          name,
          cluster: f.string(raw, "cluster") ?? "",
          user: f.string(raw, "user") ?? "",
          namespace: f.string(raw, "namespace"),
        },
      ]),
    ),
    currentContext: top.string(doc, "current-context"),
  };
};

/** Merges parsed files in order: the first to define a name (or a current context) wins. */
export const mergeKubeconfigs = (configs: readonly Kubeconfig[]): Kubeconfig => {
  const merge = <T>(pick: (c: Kubeconfig) => ReadonlyMap<string, T>) => {
    const out = new Map<string, T>();
    for (const config of configs)
      for (const [name, value] of pick(config)) if (!out.has(name)) out.set(name, value);
    return out;
  };
  return {
    clusters: merge((c) => c.clusters),
    users: merge((c) => c.users),
    contexts: merge((c) => c.contexts),
    currentContext: configs.find((c) => c.currentContext !== undefined)?.currentContext,
  };
};

/**
 * Reads and merges kubeconfig files. A single file must exist; in a list (as `KUBECONFIG` holds),
 * missing files are skipped as kubectl skips them, but at least one must exist.
 */
export const loadKubeconfigFiles = (files: readonly string[]): Kubeconfig => {
  const configs: Kubeconfig[] = [];
  for (const given of files) {
    const file = resolve(given);
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && files.length > 1) continue;
      throw new ConfigError(
        (error as NodeJS.ErrnoException).code === "ENOENT"
          ? `kubeconfig "${given}" does not exist: pass an existing file as \`kubeconfig\`, or fix KUBECONFIG`
          : `kubeconfig "${given}" cannot be read (${(error as Error).message}): check its permissions`,
        { cause: error },
      );
    }
    configs.push(parseKubeconfig(text, file));
  }
  if (configs.length === 0) {
    throw new ConfigError(
      `none of the kubeconfig files exists (${files.join(", ")}): pass an existing file as \`kubeconfig\`, or fix KUBECONFIG`,
    );
  }
  return mergeKubeconfigs(configs);
};
