/**
 * The two things Stowage leaves to `@kubernetes/client-node`: `auth-provider` users (oidc, gcp, azure —
 * deprecated in kubectl, still found in old kubeconfigs) and clusters behind a `proxy-url`. The package
 * costs ~90 MB of memory to load, so it is imported only when a kubeconfig needs one of them.
 */
import type { Agent, OutgoingHttpHeaders } from "node:http";
import { ConfigError } from "../errors.ts";
import type { KubeconfigCluster, KubeconfigUser } from "./kubeconfig.ts";

/** TLS material already read from the kubeconfig (PEM). */
export interface TlsMaterial {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

/** Applies client-node's handling of the chosen cluster and user. */
export interface ClientNodeAuth {
  /** Headers (auth-provider tokens, refreshed by client-node) and, with `proxy-url`, its proxy agent. */
  apply(): Promise<{ headers: OutgoingHttpHeaders; agent: Agent | undefined }>;
}

/** Loads `@kubernetes/client-node` and configures it with just this cluster and user. */
export const clientNodeAuth = async (
  cluster: KubeconfigCluster,
  user: KubeconfigUser | undefined,
  tls: TlsMaterial,
): Promise<ClientNodeAuth> => {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const base64 = (pem: Buffer | undefined) => (pem ? { data: pem.toString("base64") } : undefined);
  const kc = new KubeConfig();
  try {
    kc.loadFromOptions({
      clusters: [
        {
          name: "stowage",
          server: cluster.server ?? "",
          skipTLSVerify: cluster.insecureSkipTlsVerify,
          ...(base64(tls.ca) ? { caData: base64(tls.ca)?.data } : {}),
          ...(cluster.tlsServerName ? { tlsServerName: cluster.tlsServerName } : {}),
          ...(cluster.proxyUrl ? { proxyUrl: cluster.proxyUrl } : {}),
        },
      ],
      users: [
        {
          name: "stowage",
          ...(base64(tls.cert) ? { certData: base64(tls.cert)?.data } : {}),
          ...(base64(tls.key) ? { keyData: base64(tls.key)?.data } : {}),
          ...(user?.authProvider ? { authProvider: user.authProvider } : {}),
        },
      ],
      contexts: [{ name: "stowage", cluster: "stowage", user: "stowage" }],
      currentContext: "stowage",
    });
  } catch (error) {
    throw new ConfigError(
      `@kubernetes/client-node refused cluster "${cluster.name}"${user ? ` / user "${user.name}"` : ""}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    async apply() {
      const opts: { headers?: OutgoingHttpHeaders; agent?: unknown } = {};
      // client-node types its argument as https or ws options; only headers and agent are read back
      await kc.applyToHTTPSOptions(opts as Parameters<typeof kc.applyToHTTPSOptions>[0]);
      return {
        headers: opts.headers ?? {},
        agent: cluster.proxyUrl ? (opts.agent as Agent | undefined) : undefined,
      };
    },
  };
};
