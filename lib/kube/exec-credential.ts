/**
 * Exec credential plugins (`users[].user.exec`: `aws eks get-token`, `gke-gcloud-auth-plugin`,
 * `kubelogin`, …) as client-go runs them: the command with its args and env plus
 * `KUBERNETES_EXEC_INFO`, never interactively; its stdout is an `ExecCredential`
 * (`client.authentication.k8s.io/v1` or `v1beta1`) with a bearer token or a client certificate and key,
 * cached until `expirationTimestamp` (or until the server answers 401).
 */
import { execFile } from "node:child_process";
import { ConfigError } from "../errors.ts";
import type { ExecPluginConfig, KubeconfigCluster } from "./kubeconfig.ts";

const API_VERSIONS = new Set(["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]);
/** Refresh this long before the credential expires. */
const EXPIRY_SKEW_MS = 10_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

/** What a plugin returned. */
export interface ExecCredential {
  readonly token: string | undefined;
  /** PEM client certificate and key, both or neither. */
  readonly clientCertificate: string | undefined;
  readonly clientKey: string | undefined;
  /** Epoch milliseconds; undefined: valid until the server says otherwise. */
  readonly expiresAt: number | undefined;
}

/** Runs the plugin when needed; `current()` caches, `invalidate()` forces the next call to rerun it. */
export interface ExecCredentialSource {
  current(): Promise<ExecCredential>;
  invalidate(): void;
}

const clusterInfo = (cluster: KubeconfigCluster, caPem: Buffer | undefined) => ({
  server: cluster.server,
  ...(cluster.tlsServerName ? { "tls-server-name": cluster.tlsServerName } : {}),
  ...(cluster.insecureSkipTlsVerify ? { "insecure-skip-tls-verify": true } : {}),
  ...(caPem ? { "certificate-authority-data": caPem.toString("base64") } : {}),
  ...(cluster.proxyUrl ? { "proxy-url": cluster.proxyUrl } : {}),
  ...(cluster.execExtension === undefined ? {} : { config: cluster.execExtension }),
});

const describe = (config: ExecPluginConfig) => `exec plugin "${config.command}"`;

/**
 * Reads the plugin's stdout as an ExecCredential. Errors say what was wrong and how many bytes arrived,
 * never what the plugin printed: that may hold a token.
 */
const parseCredential = (stdout: string, config: ExecPluginConfig, apiVersion: string): ExecCredential => {
  const received = `${Buffer.byteLength(stdout)} bytes`;
  const fail = (problem: string): never => {
    throw new ConfigError(
      `${describe(config)} printed ${problem} (${received} received, not shown as they may hold a secret): expected an ExecCredential (${apiVersion}) with status.token or status.clientCertificateData and clientKeyData; run the plugin by hand to see its output`,
    );
  };
  let output: unknown;
  try {
    output = JSON.parse(stdout);
  } catch {
    return fail(stdout.trim() === "" ? "nothing" : "something that is not JSON");
  }
  const o = output as { apiVersion?: unknown; kind?: unknown; status?: Record<string, unknown> };
  if (o === null || typeof o !== "object" || Array.isArray(o)) return fail("JSON that is not an object");
  if (o.kind !== "ExecCredential") return fail(`an object whose kind is not "ExecCredential"`);
  if (o.apiVersion !== apiVersion) {
    // Only a well-known apiVersion is quoted; anything else could be part of a credential.
    const known = typeof o.apiVersion === "string" && API_VERSIONS.has(o.apiVersion);
    return fail(
      known
        ? `apiVersion ${JSON.stringify(o.apiVersion)} instead of ${JSON.stringify(apiVersion)}`
        : `an apiVersion that is not ${JSON.stringify(apiVersion)}`,
    );
  }
  const status = o.status ?? {};
  const text = (key: string) =>
    typeof status[key] === "string" && status[key] !== "" ? status[key] : undefined;
  const token = text("token");
  const clientCertificate = text("clientCertificateData");
  const clientKey = text("clientKeyData");
  if ((clientCertificate === undefined) !== (clientKey === undefined))
    fail("only one of clientCertificateData and clientKeyData");
  if (token === undefined && clientCertificate === undefined)
    fail("neither status.token nor a client certificate");
  const expiry = text("expirationTimestamp");
  const expiresAt = expiry === undefined ? undefined : Date.parse(expiry);
  if (expiresAt !== undefined && Number.isNaN(expiresAt))
    fail("a status.expirationTimestamp that is not an RFC 3339 time");
  return { token, clientCertificate, clientKey, expiresAt };
};

const run = (config: ExecPluginConfig, env: NodeJS.ProcessEnv): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      config.command,
      [...config.args],
      { env, maxBuffer: MAX_OUTPUT, windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const notFound = (error as NodeJS.ErrnoException).code === "ENOENT";
        const detail = notFound
          ? `was not found${config.installHint ? `: ${config.installHint.trim()}` : " (is it installed and on PATH?)"}`
          : `failed (${error.message.split("\n")[0]})${stderr.trim() ? `: ${stderr.trim().slice(0, 500)}` : ""}`;
        reject(new ConfigError(`${describe(config)} ${detail}`, { cause: error }));
      },
    ).stdin?.end();
  });

/** A cached credential source for one kubeconfig user's exec plugin. */
export const execCredentialSource = (
  config: ExecPluginConfig,
  cluster: KubeconfigCluster,
  caPem: Buffer | undefined,
): ExecCredentialSource => {
  const apiVersion = config.apiVersion ?? "";
  if (!API_VERSIONS.has(apiVersion)) {
    throw new ConfigError(
      `${describe(config)} has apiVersion ${JSON.stringify(config.apiVersion ?? null)}: expected one of ${[...API_VERSIONS].join(", ")}; update the kubeconfig (e.g. re-run the cloud CLI's "update-kubeconfig")`,
    );
  }
  if (config.interactiveMode === "Always") {
    throw new ConfigError(
      `${describe(config)} needs interactiveMode Always, and Stowage never prompts: log in first (run the plugin in a terminal) or use a non-interactive credential`,
    );
  }
  let cached: ExecCredential | undefined;
  let pending: Promise<ExecCredential> | undefined;
  const info = {
    apiVersion,
    kind: "ExecCredential",
    spec: {
      interactive: false,
      ...(config.provideClusterInfo ? { cluster: clusterInfo(cluster, caPem) } : {}),
    },
  };
  const env = () => ({
    ...process.env,
    ...Object.fromEntries(config.env.map((e) => [e.name, e.value])),
    KUBERNETES_EXEC_INFO: JSON.stringify(info),
  });
  return {
    current() {
      if (cached && (cached.expiresAt === undefined || cached.expiresAt - EXPIRY_SKEW_MS > Date.now()))
        return Promise.resolve(cached);
      pending ??= run(config, env())
        .then((stdout) => {
          cached = parseCredential(stdout, config, apiVersion);
          return cached;
        })
        .finally(() => {
          pending = undefined;
        });
      return pending;
    },
    invalidate() {
      cached = undefined;
    },
  };
};
