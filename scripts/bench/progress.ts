/**
 * Progress while the bench runs: a single self-overwriting line on a TTY; elsewhere (CI logs, a pipe)
 * one plain line per step, and at most one every few seconds while a step reports sub-progress.
 */

/** Updates (`update`) and clears (`done`) the progress line. */
export interface Progress {
  update(line: string): void;
  done(): void;
}

/** Seconds between two sub-progress lines when the stream is not a TTY. */
const LOG_EVERY_MS = 5000;

/** How progress is shown: `line` (TTY), `log` (plain lines) or `off`. */
export type ProgressMode = "line" | "log" | "off";

/** Progress on `stream` in the given mode. */
export const createProgress = (
  stream: NodeJS.WriteStream = process.stderr,
  mode: ProgressMode = stream.isTTY === true ? "line" : "log",
): Progress => {
  if (mode === "off") return { update: () => {}, done: () => {} };
  const began = Date.now();
  const stamp = () => `[${Math.round((Date.now() - began) / 1000)}s]`;
  if (mode === "log") {
    let lastAt = 0;
    let lastStep = "";
    return {
      update(line) {
        // a new step (its text without numbers) is always shown; counters at most every few seconds
        const step = line.replace(/\d+/g, "#");
        if (step === lastStep && Date.now() - lastAt < LOG_EVERY_MS) return;
        lastStep = step;
        lastAt = Date.now();
        stream.write(`${stamp()} ${line}\n`);
      },
      done: () => {},
    };
  }
  let shown = false;
  return {
    update(line) {
      const width = (stream.columns || 100) - 1;
      stream.write(`\r\x1b[2K${`${stamp()} ${line}`.slice(0, width)}`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
};
