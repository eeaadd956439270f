import { existsSync, readFileSync } from "node:fs";
import { isIPv6 } from "node:net";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { ConfigError } from "../errors.ts";
import {
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigUser,
  loadKubeconfigFiles,
} from "./kubeconfig.ts";

/** Where a connection's settings came from; shown in messages and `describe()` output. */
export type ConfigSource =
  | { readonly kind: "kubeconfig"; readonly files: readonly string[] }
  | { readonly kind: "in-cluster" };

/** A loaded configuration with the context chosen. */
export interface LoadedConfig {
  readonly source: ConfigSource;
  readonly context: string;
  readonly server: string;
  /** Namespace of the context (or of the in-cluster service account), if any. */
  readonly namespace: string | undefined;
  /** The context's cluster (server, CA, TLS settings, proxy). */
  readonly cluster: KubeconfigCluster;
  /** The context's user; undefined for a context without one (anonymous). */
  readonly user: KubeconfigUser | undefined;
}

/** Where a pod finds its service account (overridable for tests through {@link loadInClusterConfig}). */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The service-account directory in-cluster configuration reads: `$STOWAGE_SERVICEACCOUNT_DIR`, else
 * {@link SERVICE_ACCOUNT_DIR}. The override exists for a pod whose files are not at the standard path
 * (the test harness runs pods as local processes, without mount namespaces); in a real pod leave it unset.
 */
const serviceAccountDir = (env: NodeJS.ProcessEnv): string =>
  env.STOWAGE_SERVICEACCOUNT_DIR || SERVICE_ACCOUNT_DIR;
const IN_CLUSTER_CONTEXT = "inClusterContext";

/** Options for {@link loadConfig}; {@link ConnectOptions} extends these. */
export interface ConfigOptions {
  /**
   * Path of a kubeconfig file, or several joined with the platform's path delimiter (`:` on Linux),
   * merged as kubectl merges `KUBECONFIG`: the first file to define a cluster, user or context (or a
   * current-context) wins, files of a list that do not exist are skipped, and relative paths in a file
   * are relative to that file.
   * @default `$STOWAGE_KUBECONFIG`, else `$KUBECONFIG`, else `~/.kube/config`, else the in-cluster service account
   */
  readonly kubeconfig?: string;
  /**
   * Context to use from the kubeconfig.
   * @default `$STOWAGE_CONTEXT`, else the kubeconfig's `current-context`
   */
  readonly context?: string;
  /**
   * Use the in-cluster service-account configuration even if a kubeconfig exists.
   * @default false
   */
  readonly inCluster?: boolean;
}

const fail = (message: string): never => {
  throw new ConfigError(message);
};

/**
 * The in-cluster configuration, as client-go's `InClusterConfig`: `https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT`, the service account's CA and token (re-read as it rotates) and namespace,
 * from `dir` (default `$STOWAGE_SERVICEACCOUNT_DIR`, else the standard path).
 */
export const loadInClusterConfig = (
  env: NodeJS.ProcessEnv = process.env,
  dir: string = serviceAccountDir(env),
): LoadedConfig => {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(dir, "token");
  if (!host || !port || !existsSync(tokenFile)) {
    fail(
      `in-cluster configuration requested but this process is not in a pod: expected KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT and ${tokenFile}; pass \`kubeconfig\` instead`,
    );
  }
  const server = `https://${isIPv6(host!) ? `[${host}]` : host}:${port}`;
  const namespaceFile = join(dir, "namespace");
  const namespace = existsSync(namespaceFile) ? readFileSync(namespaceFile, "utf8").trim() : undefined;
  return {
    source: { kind: "in-cluster" },
    context: IN_CLUSTER_CONTEXT,
    server,
    namespace: namespace || undefined,
    cluster: {
      name: "inCluster",
      server,
      certificateAuthority: join(dir, "ca.crt"),
      certificateAuthorityData: undefined,
      insecureSkipTlsVerify: false,
      tlsServerName: undefined,
      proxyUrl: undefined,
      execExtension: undefined,
      file: dir,
    },
    user: {
      name: "inClusterUser",
      token: undefined,
      tokenFile,
      username: undefined,
      password: undefined,
      clientCertificate: undefined,
      clientCertificateData: undefined,
      clientKey: undefined,
      clientKeyData: undefined,
      exec: undefined,
      authProvider: undefined,
      impersonate: { user: undefined, uid: undefined, groups: [] },
      file: dir,
    },
  };
};

/** Picks the context (`wanted`, else `current-context`) and checks that it names what it uses. */
export const selectContext = (
  kubeconfig: Kubeconfig,
  files: readonly string[],
  wanted: string | undefined,
): LoadedConfig => {
  const names = [...kubeconfig.contexts.keys()];
  if (wanted !== undefined && !kubeconfig.contexts.has(wanted)) {
    fail(
      `context "${wanted}" is not in the kubeconfig: expected one of [${names.join(", ")}]; pass one of those as \`context\` (or fix STOWAGE_CONTEXT)`,
    );
  }
  const name = wanted ?? kubeconfig.currentContext;
  const context = name === undefined ? undefined : kubeconfig.contexts.get(name);
  if (!context) {
    return fail(
      `the kubeconfig has no usable current context (current-context: ${JSON.stringify(name ?? null)}): set one with \`kubectl config use-context\` or pass \`context\``,
    );
  }
  const cluster = kubeconfig.clusters.get(context.cluster);
  if (!cluster) {
    return fail(
      `context "${context.name}" names cluster "${context.cluster}", which is not in the kubeconfig: expected one of [${[...kubeconfig.clusters.keys()].join(", ")}]`,
    );
  }
  if (!cluster.server) {
    fail(
      `context "${context.name}" names cluster "${cluster.name}", which has no server URL in the kubeconfig`,
    );
  }
  let server: URL | undefined;
  try {
    server = new URL(cluster.server!);
  } catch {
    // reported below
  }
  if (!server || (server.protocol !== "https:" && server.protocol !== "http:")) {
    fail(
      `cluster "${cluster.name}" has server ${JSON.stringify(cluster.server)}: expected an https:// (or http://) URL`,
    );
  }
  const user = context.user === "" ? undefined : kubeconfig.users.get(context.user);
  if (context.user !== "" && !user) {
    fail(
      `context "${context.name}" names user "${context.user}", which is not in the kubeconfig: expected one of [${[...kubeconfig.users.keys()].join(", ")}]`,
    );
  }
  return {
    source: { kind: "kubeconfig", files },
    context: context.name,
    server: cluster.server!.replace(/\/+$/, ""),
    namespace: context.namespace,
    cluster,
    user,
  };
};

/** Resolves and loads the configuration exactly once; every failure says what to do. */
export const loadConfig = (options: ConfigOptions = {}): LoadedConfig => {
  const inClusterAvailable =
    Boolean(process.env.KUBERNETES_SERVICE_HOST) && existsSync(join(serviceAccountDir(process.env), "token"));
  const explicit = options.kubeconfig || process.env.STOWAGE_KUBECONFIG || process.env.KUBECONFIG;
  const home = join(homedir(), ".kube", "config");
  if (options.inCluster === true || (!explicit && !existsSync(home) && inClusterAvailable)) {
    return loadInClusterConfig();
  }
  const files = explicit ? explicit.split(delimiter).filter(Boolean) : existsSync(home) ? [home] : [];
  if (files.length === 0) {
    fail(
      "no Kubernetes configuration found: KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod; pass `kubeconfig` (or --kubeconfig), set KUBECONFIG, or run `npm run demo` for a local control plane",
    );
  }
  const wanted = options.context || process.env.STOWAGE_CONTEXT || undefined;
  return selectContext(loadKubeconfigFiles(files), files, wanted);
};
