import http from "node:http";
import https from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { AbortError } from "../errors.ts";
import type { LoadedConfig } from "./config.ts";
import { errorFromResponse, KubeUnreachableError } from "./errors.ts";
import type { Limiter } from "./limiter.ts";
import {
  backoffDelay,
  isRetryableNetworkError,
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
}

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
  /** Releases pooled connections. */
  close(): void;
}

const HEADER_TTL_MS = 10_000;

const buildQuery = (query: KubeRequest["query"]): string => {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
};

/** Creates the HTTP transport: TLS and auth from the kubeconfig, pooled keep-alive connections, retries. */
export const createTransport = (options: TransportOptions): Transport => {
  const { config, limiter, retry, timeoutMs } = options;
  const url = new URL(config.server);
  const secure = url.protocol === "https:";
  const basePath = url.pathname.replace(/\/+$/, "");
  let agent: http.Agent | undefined;
  let headers: Record<string, string> = {};
  let headersAt = 0;
  let pendingAuth: Promise<void> | undefined;

  // Auth headers (tokens, exec plugins, token files) can change; refresh them every few seconds.
  const refreshAuth = async (): Promise<void> => {
    if (Date.now() - headersAt < HEADER_TTL_MS && agent) return;
    pendingAuth ??= (async () => {
      const opts: https.RequestOptions = {};
      await config.kubeConfig.applyToHTTPSOptions(opts);
      const next: Record<string, string> = {};
      for (const [key, value] of Object.entries(opts.headers ?? {})) {
        if (value !== undefined) next[key] = String(value);
      }
      if (opts.auth) next.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
      headers = next;
      if (!agent) {
        const cluster = config.kubeConfig.getCurrentCluster();
        if (cluster?.proxyUrl) {
          agent = opts.agent as http.Agent; // client-node's proxy agent
        } else {
          const tls: https.AgentOptions = { keepAlive: true, maxSockets: limiter.concurrency + 4 };
          if (opts.ca) tls.ca = opts.ca;
          if (opts.cert) tls.cert = opts.cert;
          if (opts.key) tls.key = opts.key;
          if (opts.pfx) tls.pfx = opts.pfx;
          if (opts.passphrase) tls.passphrase = opts.passphrase;
          if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
          if (opts.servername) tls.servername = opts.servername;
          agent = secure
            ? new https.Agent(tls)
            : new http.Agent({ keepAlive: true, maxSockets: tls.maxSockets ?? 16 });
        }
      }
      headersAt = Date.now();
    })().finally(() => {
      pendingAuth = undefined;
    });
    await pendingAuth;
  };

  const attempt = (req: KubeRequest, payload: Buffer | undefined): Promise<KubeResponse> =>
    new Promise((resolve, reject) => {
      const reqHeaders: Record<string, string> = {
        ...headers,
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
          agent,
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
      for (let n = 1; ; n++) {
        if (req.signal?.aborted)
          throw new AbortError(`${req.method} ${req.path} aborted`, { cause: req.signal.reason });
        let retryAfterMs: number | undefined;
        let status: number | undefined;
        let failure: unknown;
        try {
          const response = await limiter.run(async () => {
            await refreshAuth();
            return attempt(req, payload);
          });
          if (response.status < 400) return response;
          if (!RETRYABLE_STATUS.has(response.status) || n >= attempts) {
            throw errorFromResponse(response.status, response.body, description);
          }
          status = response.status;
          retryAfterMs = parseRetryAfter(response.headers["retry-after"]);
        } catch (error) {
          if (req.signal?.aborted)
            throw new AbortError(`${req.method} ${req.path} aborted`, { cause: error });
          if (status === undefined && !isRetryableNetworkError(error)) throw error;
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
    close() {
      agent?.destroy();
    },
  };
};
