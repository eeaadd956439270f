/**
 * Static credentials from a shared credentials file (Velero's `credentialsFile`: the `cloud` key of the
 * `cloud-credentials` Secret, an INI file with `[profile]` sections). Only static keys are read; role,
 * SSO and process profiles belong in `~/.aws/config` and are reached through `profile` and the SDK's
 * standard chain instead. Values are never put into messages.
 */
import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.ts";

/** Static AWS credentials. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Parses an AWS INI file into sections of key/value pairs (`[profile x]` and `[x]` both name `x`). */
export const parseIni = (text: string): Map<string, Map<string, string>> => {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      const name = header[1] ?? "";
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0 && current) current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return sections;
};

/**
 * A credentials provider reading `profile` from `file` once, on first use.
 * @param profile defaults to AWS_PROFILE, then "default"
 */
export const credentialsFromFile = (file: string, profile?: string): (() => Promise<StaticCredentials>) => {
  let loaded: Promise<StaticCredentials> | undefined;
  const load = async (): Promise<StaticCredentials> => {
    const name = profile ?? process.env.AWS_PROFILE ?? "default";
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new ConfigError(
        `credentialsFile "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}): point \`credentialsFile\` at an AWS credentials file (INI with aws_access_key_id and aws_secret_access_key)`,
        { cause: error },
      );
    }
    const sections = parseIni(text);
    const section = sections.get(name);
    if (!section) {
      throw new ConfigError(
        `credentialsFile "${file}" has no profile "${name}"; profiles found: [${[...sections.keys()].join(", ")}]: set \`profile\` to one of them`,
      );
    }
    const accessKeyId = section.get("aws_access_key_id");
    const secretAccessKey = section.get("aws_secret_access_key");
    if (!accessKeyId || !secretAccessKey) {
      throw new ConfigError(
        `profile "${name}" in credentialsFile "${file}" lacks aws_access_key_id or aws_secret_access_key: Stowage reads static keys from credentialsFile; for role or SSO profiles use \`profile\` with ~/.aws/config instead`,
      );
    }
    const sessionToken = section.get("aws_session_token");
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };
  return () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined; // let a fixed file be picked up on the next call
      throw error;
    });
    return loaded;
  };
};
