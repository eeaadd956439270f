/**
 * How requests are retried; every field has a default suited to a busy apiserver.
 *
 * Which requests are retried, and when:
 * - Any request, after HTTP 429: the apiserver's max-in-flight and priority-and-fairness filters (and a
 *   server shutting down) reject it before it is handled, so nothing happened; the server's
 *   `Retry-After` is honoured.
 * - Any request, after a network failure before it was sent: connection refused, a DNS failure, a
 *   connection or TLS handshake that broke or timed out before the first byte of the request could be
 *   written.
 * - Idempotent requests only, after HTTP 500/502/503/504 and after a reset, hang-up or timeout once the
 *   request was sent: GET, PUT (a repeat rewrites the same object, or answers Conflict on its
 *   `resourceVersion`), PATCH, DELETE (a repeat after success answers NotFound) and any dry run.
 * - A create (POST, or a request marked `idempotent: false`) that fails after it was sent is not repeated,
 *   since it may have been committed: it fails with `AmbiguousRequestError`, and the caller reads the
 *   object back before creating again (a restore recognises its own objects by their
 *   `velero.io/restore-name` label; a restic Job by a label unique to its run).
 *
 * A 401 is retried once with fresh credentials; other 4xx answers are never retried.
 */
export interface RetryOptions {
  /**
   * Attempts in total, including the first.
   * @default 6
   */
  readonly attempts?: number;
  /**
   * First backoff delay in milliseconds; doubled on each retry, with full jitter.
   * @default 200
   */
  readonly baseDelayMs?: number;
  /**
   * Upper bound of one backoff delay (a server's `Retry-After` may ask for longer, up to `maxRetryAfterMs`).
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * Longest `Retry-After` honoured; longer requests are capped.
   * @default 60000
   */
  readonly maxRetryAfterMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export const resolveRetryOptions = (options: RetryOptions = {}): ResolvedRetryOptions => ({
  attempts: options.attempts ?? 6,
  baseDelayMs: options.baseDelayMs ?? 200,
  maxDelayMs: options.maxDelayMs ?? 10_000,
  maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
});

/** HTTP statuses worth retrying for an idempotent request: throttling and transient server/gateway failures. */
export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * HTTP statuses that prove the request was not handled (so even a create may be repeated): 429 is
 * answered by the apiserver's max-in-flight / priority-and-fairness filters before the handler runs.
 */
export const NOT_HANDLED_STATUS = new Set([429]);

const RETRYABLE_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** True for network errors that a retry may cure (dropped or refused connections). */
export const isRetryableNetworkError = (error: unknown): boolean => {
  const code = (error as { code?: string } | undefined)?.code;
  return (code !== undefined && RETRYABLE_CODES.has(code)) || (error as Error)?.message === "socket hang up";
};

/**
 * Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds; undefined when absent/invalid.
 * The apiserver sends whole seconds (e.g. `Retry-After: 1` with 429 from max-in-flight).
 */
export const parseRetryAfter = (
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined => {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw) * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
};

/**
 * Delay before retry number `retry` (1-based): the server's `Retry-After` when given (capped), else
 * exponential backoff with full jitter.
 */
export const backoffDelay = (
  retry: number,
  options: ResolvedRetryOptions,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number => {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxRetryAfterMs);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
};
