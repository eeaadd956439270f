/**
 * Azure settings the way Velero reads them (`pkg/util/azure`): a dotenv-style credentials file (the
 * location's `credentialsFile`, else `AZURE_CREDENTIALS_FILE`) with `AZURE_SUBSCRIPTION_ID`,
 * `AZURE_RESOURCE_GROUP`, `AZURE_CLOUD_NAME` and optionally a service principal (`AZURE_TENANT_ID`,
 * `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`). Without a file, Stowage reads the same names from the
 * environment, and credentials come from `DefaultAzureCredential`. Secret values never reach messages.
 */
import { readFile } from "node:fs/promises";
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { ConfigError } from "../../errors.ts";
import { messageOf } from "../errors.ts";

/** Parses `KEY=value` lines (`export `, quotes and `#` comments allowed), as godotenv does for these files. */
export const parseDotenv = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2] ?? "";
    else value = value.replace(/\s+#.*$/, "");
    out[line.slice(0, eq).trim()] = value;
  }
  return out;
};

/** The credential settings: the file's content, or the environment when there is no file. */
export const loadAzureCredentials = async (
  provider: string,
  credentialsFile: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Record<string, string>> => {
  const file = credentialsFile || env.AZURE_CREDENTIALS_FILE;
  if (!file) {
    return Object.fromEntries(
      Object.entries(env).filter(
        (e): e is [string, string] => e[0].startsWith("AZURE_") && e[1] !== undefined,
      ),
    );
  }
  try {
    return parseDotenv(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`${provider}: failed to read credentials from file ${file}: ${messageOf(error)}`, {
      cause: error,
    });
  }
};

const PUBLIC = { arm: "https://management.azure.com", authority: "https://login.microsoftonline.com" };
const CHINA = { arm: "https://management.chinacloudapi.cn", authority: "https://login.chinacloudapi.cn" };
const US_GOV = { arm: "https://management.usgovcloudapi.net", authority: "https://login.microsoftonline.us" };
const CLOUDS: Record<string, { arm: string; authority: string }> = {
  "": PUBLIC,
  AZURECLOUD: PUBLIC,
  AZUREPUBLICCLOUD: PUBLIC,
  AZURECHINACLOUD: CHINA,
  AZUREUSGOVERNMENT: US_GOV,
  AZUREUSGOVERNMENTCLOUD: US_GOV,
};

/** ARM endpoint and AAD authority of `AZURE_CLOUD_NAME` (Velero's names; the public cloud when unset). */
export const azureCloud = (
  provider: string,
  name: string | undefined,
): { arm: string; authority: string } => {
  const cloud = CLOUDS[(name ?? "").toUpperCase()];
  if (!cloud) {
    throw new ConfigError(
      `${provider}: unknown cloud: ${name}: AZURE_CLOUD_NAME must be AzurePublicCloud, AzureChinaCloud or AzureUSGovernmentCloud`,
    );
  }
  return cloud;
};

/** A service-principal credential when the settings hold a client secret, else DefaultAzureCredential. */
export const azureCredential = (
  provider: string,
  creds: Readonly<Record<string, string>>,
  authorityHost: string,
): TokenCredential => {
  if (!creds.AZURE_CLIENT_SECRET) return new DefaultAzureCredential({ authorityHost });
  for (const key of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID"] as const) {
    if (!creds[key]) throw new ConfigError(`${provider}: ${key} is required with AZURE_CLIENT_SECRET`);
  }
  return new ClientSecretCredential(
    creds.AZURE_TENANT_ID!,
    creds.AZURE_CLIENT_ID!,
    creds.AZURE_CLIENT_SECRET,
    {
      authorityHost,
    },
  );
};
