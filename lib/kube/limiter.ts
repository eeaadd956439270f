/** A counting semaphore shared by every request of one run, so concurrency is bounded globally. */
export interface Limiter {
  /** Runs `task` once a slot is free. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Maximum concurrent tasks. */
  readonly concurrency: number;
  /** Tasks running now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly pending: number;
}

/** Creates a FIFO limiter admitting at most `concurrency` tasks at once. */
export const createLimiter = (concurrency: number): Limiter => {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${String(concurrency)}`);
  }
  let active = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) {
      active++;
      next();
    }
  };
  return {
    concurrency,
    get active() {
      return active;
    },
    get pending() {
      return queue.length;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < concurrency) active++;
      else await new Promise<void>((resolve) => queue.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
};
