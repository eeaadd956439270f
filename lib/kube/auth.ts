/**
 * TLS and credentials of the chosen kubeconfig cluster and user, turned into what every request needs:
 * an HTTP(S) agent (CA, client certificate, verification, server name) and headers (bearer token from
 * `token`, `tokenFile` or an exec plugin; basic auth; impersonation). Token files are re-read and exec
 * credentials re-run when they expire or the server answers 401, as client-go does.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { ConfigError } from "../errors.ts";
import { type ClientNodeAuth, clientNodeAuth, type TlsMaterial } from "./client-node-fallback.ts";
import { type ExecCredentialSource, execCredentialSource } from "./exec-credential.ts";
import type { KubeconfigCluster, KubeconfigUser } from "./kubeconfig.ts";

/** Headers and agent for the next request. */
export interface RequestAuth {
  readonly headers: Readonly<http.OutgoingHttpHeaders>;
  readonly agent: http.Agent;
}

/** The credentials of one connection. */
export interface Auth {
  /** Cheap while cached; refreshes token files every few seconds and expired exec credentials. */
  prepare(): Promise<RequestAuth>;
  /** The server answered 401: forget cached credentials. True when a fresh attempt may succeed. */
  rejected(): boolean;
  /** Destroys the pooled connections. */
  close(): void;
}

/** How often a token file is re-read (client-go: every minute; bound service-account tokens rotate). */
const TOKEN_FILE_TTL_MS = 10_000;

const readPem = (what: string, file: string | undefined, data: string | undefined): Buffer | undefined => {
  if (data !== undefined) return Buffer.from(data, "base64");
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new ConfigError(
      `${what} "${file}" cannot be read (${(error as Error).message}): fix the path in the kubeconfig (relative paths are relative to the kubeconfig file)`,
      { cause: error },
    );
  }
};

/** Reads the static TLS material of `cluster` and `user`; throws a ConfigError naming any unreadable file. */
export const readTlsMaterial = (
  cluster: KubeconfigCluster,
  user: KubeconfigUser | undefined,
): TlsMaterial => ({
  ca: readPem(
    `certificate-authority of cluster "${cluster.name}"`,
    cluster.certificateAuthority,
    cluster.certificateAuthorityData,
  ),
  cert: readPem(
    `client-certificate of user "${user?.name}"`,
    user?.clientCertificate,
    user?.clientCertificateData,
  ),
  key: readPem(`client-key of user "${user?.name}"`, user?.clientKey, user?.clientKeyData),
});

const tokenFileReader = (file: string, fallback: string | undefined) => {
  let token = fallback;
  let readAt = 0;
  return (force: boolean): string | undefined => {
    if (!force && Date.now() - readAt < TOKEN_FILE_TTL_MS) return token;
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (error) {
      if (token === undefined) {
        throw new ConfigError(
          `tokenFile "${file}" cannot be read (${(error as Error).message}): fix the kubeconfig, or mount the service-account token`,
          { cause: error },
        );
      }
      // as client-go: keep the last token that could be read
    }
    readAt = Date.now();
    return token;
  };
};

/** Options of {@link createAuth}. */
export interface AuthOptions {
  readonly cluster: KubeconfigCluster;
  readonly user: KubeconfigUser | undefined;
  /** Sockets per agent. */
  readonly maxSockets: number;
}

/** Prepares the credentials of one connection. Reads every file at once (fail fast), runs no plugin yet. */
export const createAuth = (options: AuthOptions): Auth => {
  const { cluster, user, maxSockets } = options;
  const secure = new URL(cluster.server ?? "").protocol === "https:";
  const tls = readTlsMaterial(cluster, user);
  const exec: ExecCredentialSource | undefined = user?.exec
    ? execCredentialSource(user.exec, cluster, tls.ca)
    : undefined;
  const tokenFile = user?.tokenFile ? tokenFileReader(user.tokenFile, user.token) : undefined;
  const delegated: Promise<ClientNodeAuth> | undefined =
    user?.authProvider || cluster.proxyUrl ? clientNodeAuth(cluster, user, tls) : undefined;
  delegated?.catch(() => {}); // reported by prepare()

  const fixed: http.OutgoingHttpHeaders = {};
  if (user?.username !== undefined || user?.password !== undefined) {
    fixed.Authorization = `Basic ${Buffer.from(`${user.username ?? ""}:${user.password ?? ""}`).toString("base64")}`;
  }
  if (user?.token !== undefined) fixed.Authorization = `Bearer ${user.token}`;
  if (user?.impersonate.user !== undefined) fixed["Impersonate-User"] = user.impersonate.user;
  if (user?.impersonate.uid !== undefined) fixed["Impersonate-Uid"] = user.impersonate.uid;
  if (user && user.impersonate.groups.length > 0) fixed["Impersonate-Group"] = [...user.impersonate.groups];

  let agent: http.Agent | undefined;
  let agentCert: string | undefined;
  const makeAgent = (cert: Buffer | string | undefined, key: Buffer | string | undefined): http.Agent => {
    if (!secure) return new http.Agent({ keepAlive: true, maxSockets });
    const agentOptions: https.AgentOptions = {
      keepAlive: true,
      maxSockets,
      rejectUnauthorized: !cluster.insecureSkipTlsVerify,
    };
    if (tls.ca) agentOptions.ca = tls.ca;
    if (cert !== undefined) agentOptions.cert = cert;
    if (key !== undefined) agentOptions.key = key;
    if (cluster.tlsServerName) agentOptions.servername = cluster.tlsServerName;
    return new https.Agent(agentOptions);
  };
  let forceTokenFile = false;

  return {
    async prepare() {
      const headers: http.OutgoingHttpHeaders = { ...fixed };
      const fromFile = tokenFile?.(forceTokenFile);
      forceTokenFile = false;
      if (fromFile) headers.Authorization = `Bearer ${fromFile}`;
      let cert: Buffer | string | undefined = tls.cert;
      let key: Buffer | string | undefined = tls.key;
      if (exec) {
        const credential = await exec.current();
        if (credential.token) headers.Authorization = `Bearer ${credential.token}`;
        if (credential.clientCertificate) {
          cert = credential.clientCertificate;
          key = credential.clientKey;
        }
      }
      if (delegated) {
        const applied = await delegated.then((d) => d.apply());
        Object.assign(headers, applied.headers);
        if (applied.agent) agent ??= applied.agent;
      }
      // an exec plugin may hand out a new client certificate: new connections must present it
      const certId = typeof cert === "string" ? cert : undefined;
      if (!agent || (exec && certId !== agentCert && !cluster.proxyUrl)) {
        agent?.destroy();
        agent = makeAgent(cert, key);
        agentCert = certId;
      }
      return { headers, agent };
    },
    rejected() {
      exec?.invalidate();
      forceTokenFile = tokenFile !== undefined;
      return exec !== undefined || tokenFile !== undefined;
    },
    close() {
      agent?.destroy();
    },
  };
};
