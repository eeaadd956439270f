import { Cluster } from "./client.ts";
import { type ConfigOptions, type LoadedConfig, loadConfig } from "./config.ts";
import { createLimiter } from "./limiter.ts";
import { type RetryOptions, resolveRetryOptions } from "./retry.ts";
import { createTransport, type RetryEvent } from "./transport.ts";

/** Options of {@link connect}. */
export interface ConnectOptions extends ConfigOptions {
  /**
   * Most requests in flight at once, shared by everything done through this connection.
   * @default 16, or `$STOWAGE_KUBE_CONCURRENCY`
   */
  readonly concurrency?: number;
  /** Retry policy for 429/5xx answers and dropped connections (see {@link RetryOptions}). */
  readonly retry?: RetryOptions;
  /**
   * Timeout of one request attempt in milliseconds.
   * @default 60000
   */
  readonly timeoutMs?: number;
  /**
   * Check that the server answers `/version` before returning (fail fast on a wrong URL).
   * @default true
   */
  readonly verify?: boolean;
  /** Called before every retry, e.g. to log throttling. */
  readonly onRetry?: (event: RetryEvent) => void;
}

const envInt = (name: string): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  return Number.isInteger(value) && value > 0 ? value : undefined;
};

/**
 * Connects to a cluster: a kubeconfig (path, `KUBECONFIG` with several files, `~/.kube/config`) or the
 * in-cluster service account. Verifies the server answers unless `verify: false`.
 *
 * @example
 * const cluster = await connect();                          // $KUBECONFIG / ~/.kube/config / in-cluster
 * const prod = await connect({ context: "prod", concurrency: 32 });
 */
export const connect = async (options: ConnectOptions = {}): Promise<Cluster> =>
  connectWithConfig(loadConfig(options), options);

/**
 * {@link connect} with a configuration already loaded (e.g. {@link loadInClusterConfig} of a test's
 * service-account directory).
 * @internal
 */
export const connectWithConfig = async (
  config: LoadedConfig,
  options: Omit<ConnectOptions, keyof ConfigOptions> = {},
): Promise<Cluster> => {
  const limiter = createLimiter(options.concurrency ?? envInt("STOWAGE_KUBE_CONCURRENCY") ?? 16);
  const transport = createTransport({
    config,
    limiter,
    retry: resolveRetryOptions(options.retry),
    timeoutMs: options.timeoutMs ?? 60_000,
    onRetry: options.onRetry,
  });
  const cluster = new Cluster(config, transport, limiter);
  if (options.verify !== false) {
    try {
      // a quick check: a wrong URL fails in about a second instead of after the full retry policy
      await cluster.request({ method: "GET", path: "/version", attempts: 3 });
    } catch (error) {
      cluster.close();
      throw error;
    }
  }
  return cluster;
};
