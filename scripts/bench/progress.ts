/** A single self-overwriting progress line on a TTY; silent otherwise. */

/** Updates (`update`) and clears (`done`) the progress line. */
export interface Progress {
  update(line: string): void;
  done(): void;
}

/** A progress line on `stream` when it is a TTY (or `enabled` forces it), else a no-op. */
export const createProgress = (
  stream: NodeJS.WriteStream = process.stderr,
  enabled: boolean = stream.isTTY === true,
): Progress => {
  if (!enabled) return { update: () => {}, done: () => {} };
  const began = Date.now();
  let shown = false;
  return {
    update(line) {
      const elapsed = `${Math.round((Date.now() - began) / 1000)}s`;
      const width = (stream.columns || 100) - 1;
      stream.write(`\r\x1b[2K${`[${elapsed}] ${line}`.slice(0, width)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
};
