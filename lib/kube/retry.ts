/** How requests are retried; every field has a default suited to a busy apiserver. */
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

/** HTTP statuses worth retrying: throttling and transient server/gateway failures. */
export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

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
