/**
 * Waiting for something to happen by looking at it again and again: one abortable loop for every wait
 * (a CRD to be Established, a namespace to finish terminating, a snapshot to complete, …).
 */
import { setTimeout as delay } from "node:timers/promises";
import { AbortError } from "../errors.ts";

/**
 * Resolves after `ms` milliseconds, or at once when `signal` fires (or has already fired). Never rejects
 * on abort: a waiting loop checks `signal.aborted` after it and says what was cancelled.
 * @param signal cuts the pause short. @default none (the full `ms`)
 */
export const sleep = async (ms: number, signal?: AbortSignal | undefined): Promise<void> => {
  if (signal?.aborted) return;
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (!signal?.aborted) throw error;
  }
};

/** One look at what is waited for: done (with its value), or still pending (with a state to report). */
export type PollResult<T> =
  | { readonly done: true; readonly value: T }
  | { readonly done: false; readonly state: string; readonly percent?: number | undefined };

/** A pending look, as {@link PollOptions.onPending} receives it. */
export interface PollPending {
  readonly state: string;
  readonly percent?: number | undefined;
  /** Time since the wait started. */
  readonly elapsedMs: number;
}

/** How {@link poll} waits. */
export interface PollOptions {
  /** Pause between two looks, in milliseconds (the first look is immediate). */
  readonly intervalMs: number;
  /**
   * How long to keep looking, in milliseconds: a look is taken only when it falls within this time, so
   * the wait never outlasts it by more than one look.
   */
  readonly timeoutMs: number;
  /** Cancels the wait: a pause is cut short and {@link AbortError} is thrown. @default never */
  readonly signal?: AbortSignal | undefined;
  /** Called after every look that is still pending. @default none */
  readonly onPending?: ((pending: PollPending) => void) | undefined;
}

/** What {@link poll} ends with: the value, or the last pending look when the time ran out. */
export type PollOutcome<T> =
  | { readonly done: true; readonly value: T }
  | ({ readonly done: false } & PollPending);

/** A `signal` aborted while waiting for `subject`. */
const cancelled = (subject: string, signal: AbortSignal | undefined) =>
  new AbortError(`waiting for ${subject} was cancelled`, { cause: signal?.reason });

/**
 * Calls `probe` every `intervalMs` until it reports done or `timeoutMs` runs out, and says which
 * happened; the caller decides what a timeout means (an error, a warning, a fallback).
 *
 * @param subject what is waited for, for the AbortError's message (`CRD foo.example.com`)
 * @throws AbortError when `options.signal` fires (also during a pause), and whatever `probe` throws
 * @example
 * const outcome = await poll("namespace shop to go", async () => ..., { intervalMs: 250, timeoutMs: 60_000, signal });
 * if (!outcome.done) throw new Error(`still ${outcome.state} after 60 s`);
 */
export const poll = async <T>(
  subject: string,
  probe: () => Promise<PollResult<T>>,
  options: PollOptions,
): Promise<PollOutcome<T>> => {
  const started = Date.now();
  for (;;) {
    if (options.signal?.aborted) throw cancelled(subject, options.signal);
    const result = await probe();
    if (result.done) return result;
    const pending = { state: result.state, percent: result.percent, elapsedMs: Date.now() - started };
    options.onPending?.(pending);
    if (pending.elapsedMs + options.intervalMs > options.timeoutMs) return { done: false, ...pending };
    await sleep(options.intervalMs, options.signal);
  }
};

/** A pending {@link PollResult}. */
export const pollPending = (state: string): PollResult<never> => ({ done: false, state });

/** A done {@link PollResult} carrying `value`. */
export const pollDone = <T>(value: T): PollResult<T> => ({ done: true, value });
