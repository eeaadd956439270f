import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ConfigError } from "../errors.ts";

/** Where a connection's settings came from; shown in messages and `describe()` output. */
export type ConfigSource =
  | { readonly kind: "kubeconfig"; readonly files: readonly string[] }
  | { readonly kind: "in-cluster" };

/** A loaded kubeconfig with the context chosen. */
export interface LoadedConfig {
  readonly kubeConfig: KubeConfig;
  readonly source: ConfigSource;
  readonly context: string;
  readonly server: string;
  /** Namespace of the context (or of the in-cluster service account), if any. */
  readonly namespace: string | undefined;
}

const IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** Options for {@link loadConfig}; {@link ConnectOptions} extends these. */
export interface ConfigOptions {
  /**
   * Path of a kubeconfig file, or several joined with the platform's path delimiter (`:` on Linux),
   * merged as kubectl merges `KUBECONFIG`.
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

const fail = (message: string, cause?: unknown): never => {
  throw new ConfigError(message, cause === undefined ? undefined : { cause });
};

const loadFiles = (files: readonly string[]): KubeConfig => {
  const kc = new KubeConfig();
  files.forEach((file, index) => {
    if (!existsSync(file)) {
      fail(`kubeconfig "${file}" does not exist: pass an existing file as \`kubeconfig\`, or fix KUBECONFIG`);
    }
    const next = index === 0 ? kc : new KubeConfig();
    try {
      next.loadFromFile(file);
    } catch (error) {
      fail(
        `kubeconfig "${file}" is not a valid kubeconfig (${(error as Error).message}): expected a YAML file with clusters, users and contexts`,
        error,
      );
    }
    // kubectl semantics: the first file to set a value wins
    if (next !== kc) kc.mergeConfig(next, true);
  });
  return kc;
};

/** Resolves and loads the configuration exactly once; every failure says what to do. */
export const loadConfig = (options: ConfigOptions = {}): LoadedConfig => {
  let kc: KubeConfig;
  let source: ConfigSource;
  const inClusterAvailable = Boolean(process.env.KUBERNETES_SERVICE_HOST) && existsSync(IN_CLUSTER_TOKEN);
  const explicit = options.kubeconfig || process.env.STOWAGE_KUBECONFIG || process.env.KUBECONFIG;
  const home = join(homedir(), ".kube", "config");
  if (options.inCluster === true || (!explicit && !existsSync(home) && inClusterAvailable)) {
    if (!inClusterAvailable) {
      fail(
        `in-cluster configuration requested but this process is not in a pod: expected KUBERNETES_SERVICE_HOST and ${IN_CLUSTER_TOKEN}; pass \`kubeconfig\` instead`,
      );
    }
    kc = new KubeConfig();
    kc.loadFromCluster();
    source = { kind: "in-cluster" };
  } else {
    const files = explicit ? explicit.split(delimiter).filter(Boolean) : existsSync(home) ? [home] : [];
    if (files.length === 0) {
      fail(
        "no Kubernetes configuration found: KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod; pass `kubeconfig` (or --kubeconfig), set KUBECONFIG, or run `npm run demo` for a local control plane",
      );
    }
    kc = loadFiles(files);
    source = { kind: "kubeconfig", files };
  }
  const wanted = options.context || process.env.STOWAGE_CONTEXT || undefined;
  if (wanted !== undefined) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(wanted)) {
      fail(
        `context "${wanted}" is not in the kubeconfig: expected one of [${names.join(", ")}]; pass one of those as \`context\` (or fix STOWAGE_CONTEXT)`,
      );
    }
    kc.setCurrentContext(wanted);
  }
  const context = kc.getCurrentContext();
  const contextObject = context ? kc.getContextObject(context) : null;
  if (!contextObject) {
    fail(
      `the kubeconfig has no usable current context (current-context: ${JSON.stringify(context ?? null)}): set one with \`kubectl config use-context\` or pass \`context\``,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) {
    fail(
      `context "${context}" names cluster "${contextObject?.cluster}", which has no server URL in the kubeconfig`,
    );
  }
  return {
    kubeConfig: kc,
    source,
    context,
    server: cluster!.server.replace(/\/+$/, ""),
    namespace: contextObject?.namespace,
  };
};
