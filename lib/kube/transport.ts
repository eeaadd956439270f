import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { AbortError, ConfigError } from "../errors.ts";
import { TLS_VERIFY_CODES } from "../util/tls.ts";
import { createAuth, type RequestAuth } from "./auth.ts";
import type { LoadedConfig } from "./config.ts";
import { AmbiguousRequestError, errorFromResponse, KubeUnreachableError } from "./errors.ts";
import type { Limiter } from "./limiter.ts";
import {
  backoffDelay,
  isRetryableNetworkError,
  NOT_HANDLED_STATUS,
  parseRetryAfter,
  RETRYABLE_STATUS,
  type ResolvedRetryOptions,
} from "./retry.ts";

/** One HTTP request to the apiserver. */
export interface KubeRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Absolute API path, e.g. `/api/v1/namespaces/default/configmaps`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** @default "application/json" when a body is sent */
  readonly contentType?: string;
  /** @default "application/json" */
  readonly accept?: string;
  readonly signal?: AbortSignal | undefined;
  /** Attempts for this request only (e.g. a quick reachability check). @default the connection's retry policy */
  readonly attempts?: number;
  /**
   * Whether repeating the request after it may have reached the server is harmless; a request that is
   * not is retried only when it provably was not handled (see `RetryOptions`).
   * @default false for POST (a create) unless it is a dry run, true for every other method
   */
  readonly idempotent?: boolean;
}

/** Whether `req` may be repeated after it may have reached the server. */
const isIdempotent = (req: KubeRequest): boolean =>
  req.idempotent ?? (req.method !== "POST" || req.query?.dryRun === "All");

/** What one attempt got to: whether any byte of the request may have reached the server. */
interface AttemptProgress {
  sent: boolean;
}

/** A raw response of the Kubernetes API: status code, headers and body. */
export interface KubeResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Emitted before each retry; tests and logs use it to see what happened. */
export interface RetryEvent {
  readonly method: string;
  readonly path: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly error?: string;
}

export interface TransportOptions {
  readonly config: LoadedConfig;
  readonly limiter: Limiter;
  readonly retry: ResolvedRetryOptions;
  /** Per-attempt timeout in milliseconds. */
  readonly timeoutMs: number;
  readonly onRetry?: ((event: RetryEvent) => void) | undefined;
}

export interface Transport {
  request(req: KubeRequest): Promise<KubeResponse>;
  /** Credentials (headers and TLS agent) for a streaming connection such as exec's WebSocket. */
  streamAuth(): Promise<RequestAuth>;
  /** A streaming connection was refused with 401: forget cached credentials; true when a retry may work. */
  streamRejected(): boolean;
  /** The configuration error a TLS failure means, if it means one. */
  tlsProblem(error: unknown): Error | undefined;
  /** Releases pooled connections. */
  close(): void;
}

const buildQuery = (query: KubeRequest["query"]): string => {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
};

/** A server certificate that does not verify is a configuration problem: say which settings fix it. */
const tlsProblem = (config: LoadedConfig, error: unknown): ConfigError | undefined => {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === undefined || !TLS_VERIFY_CODES.has(code)) return undefined;
  return new ConfigError(
    `the API server at ${config.server} presented a certificate that does not verify (${(error as Error).message}): give cluster "${config.cluster.name}" the right certificate-authority(-data)${code === "ERR_TLS_CERT_ALTNAME_INVALID" ? " or tls-server-name" : ""} in the kubeconfig, or insecure-skip-tls-verify: true for a throwaway cluster`,
    { cause: error },
  );
};

/** Creates the HTTP transport: TLS and auth from the kubeconfig, pooled keep-alive connections, retries. */
export const createTransport = (options: TransportOptions): Transport => {
  const { config, limiter, retry, timeoutMs } = options;
  const url = new URL(config.server);
  const secure = url.protocol === "https:";
  const basePath = url.pathname.replace(/\/+$/, "");
  const auth = createAuth({
    cluster: config.cluster,
    user: config.user,
    maxSockets: limiter.concurrency + 4,
  });

  const attempt = (
    req: KubeRequest,
    payload: Buffer | undefined,
    prepared: RequestAuth,
    progress: AttemptProgress,
  ): Promise<KubeResponse> =>
    new Promise((resolve, reject) => {
      const reqHeaders: http.OutgoingHttpHeaders = {
        ...prepared.headers,
        Accept: req.accept ?? "application/json",
        "User-Agent": "stowage/0.1",
      };
      if (payload) {
        reqHeaders["Content-Type"] = req.contentType ?? "application/json";
        reqHeaders["Content-Length"] = String(payload.length);
      }
      const send = secure ? https.request : http.request;
      const request = send(
        {
          protocol: url.protocol,
          hostname: url.hostname,
          port: url.port || (secure ? 443 : 80),
          method: req.method,
          path: `${basePath}${req.path}${buildQuery(req.query)}`,
          headers: reqHeaders,
          agent: prepared.agent,
          timeout: timeoutMs,
          signal: req.signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on("error", reject);
        },
      );
      // The request can reach the server only over a connected socket (for TLS: after the handshake,
      // since the socket buffers writes until then). A reused keep-alive socket, or one found already
      // connected, counts as sent at once: when in doubt, the request may have arrived.
      request.on("socket", (socket) => {
        if (request.reusedSocket || !socket.connecting) progress.sent = true;
        else
          socket.once(secure ? "secureConnect" : "connect", () => {
            progress.sent = true;
          });
      });
      request.on("timeout", () =>
        request.destroy(Object.assign(new Error("request timed out"), { code: "ETIMEDOUT" })),
      );
      request.on("error", reject);
      request.end(payload);
    });

  return {
    async request(req) {
      const payload =
        req.body === undefined
          ? undefined
          : Buffer.isBuffer(req.body)
            ? req.body
            : Buffer.from(JSON.stringify(req.body));
      const description = { method: req.method, path: req.path };
      const attempts = req.attempts ?? retry.attempts;
      const idempotent = isIdempotent(req);
      let reauthenticated = false;
      for (let n = 1; ; n++) {
        if (req.signal?.aborted)
          throw new AbortError(`${req.method} ${req.path} aborted`, { cause: req.signal.reason });
        let retryAfterMs: number | undefined;
        let status: number | undefined;
        let failure: unknown;
        const progress: AttemptProgress = { sent: false };
        try {
          const response = await limiter.run(async () =>
            attempt(req, payload, await auth.prepare(), progress),
          );
          if (response.status < 400) return response;
          // expired exec credential or rotated token file: fetch fresh credentials once, as client-go does
          if (response.status === 401 && !reauthenticated && auth.rejected()) {
            reauthenticated = true;
            n--;
            continue;
          }
          const retryable = RETRYABLE_STATUS.has(response.status);
          if (retryable && !idempotent && !NOT_HANDLED_STATUS.has(response.status)) {
            // a 5xx may come after the create was committed (e.g. a timeout waiting for etcd)
            const answer = errorFromResponse(response.status, response.body, description);
            throw new AmbiguousRequestError(description, answer, response.status);
          }
          if (!retryable || n >= attempts) {
            throw errorFromResponse(response.status, response.body, description);
          }
          status = response.status;
          retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
        } catch (error) {
          if (req.signal?.aborted)
            throw new AbortError(`${req.method} ${req.path} aborted`, { cause: error });
          if (error instanceof AmbiguousRequestError) throw error;
          if (status === undefined && !isRetryableNetworkError(error))
            throw tlsProblem(config, error) ?? error;
          if (status === undefined && !idempotent && progress.sent)
            throw new AmbiguousRequestError(description, error);
          if (status === undefined && n >= attempts) throw new KubeUnreachableError(config.server, error);
          failure = error;
        }
        const delayMs = backoffDelay(n, retry, retryAfterMs);
        options.onRetry?.({
          method: req.method,
          path: req.path,
          attempt: n,
          delayMs,
          ...(status === undefined ? {} : { status }),
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          ...(failure === undefined ? {} : { error: (failure as Error).message }),
        });
        await sleep(delayMs, undefined, req.signal ? { signal: req.signal } : undefined).catch(
          () => undefined,
        );
      }
    },
    streamAuth: () => auth.prepare(),
    streamRejected: () => auth.rejected(),
    tlsProblem: (error) => tlsProblem(config, error),
    close() {
      auth.close();
    },
  };
};
