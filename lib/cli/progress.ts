/**
 * The progress lines of `backup create` and `restore create`: one line on stderr, rewritten with `\r` as `backup()` / `restore()` report
 * progress, cleared at the end. Nothing at all when stderr is not a terminal (logs and pipes stay clean).
 */
import type { Writable } from "node:stream";
import type { BackupProgress } from "../backup/options.ts";
import type { RestoreProgress } from "../restore/options.ts";

/** The text of one progress update. */
export const progressText = (name: string, p: BackupProgress): string => {
  const listed = `${p.resourcesDone}/${p.resourcesTotal} resource types listed`;
  switch (p.phase) {
    case "collecting":
      return `Backing up "${name}": ${p.itemsBackedUp} items backed up, ${listed}`;
    case "uploading":
      return `Backing up "${name}": ${p.itemsBackedUp} items backed up, uploading metadata`;
    case "done":
      return `Backing up "${name}": done, ${p.itemsBackedUp} items`;
  }
};

/** A progress reporter; `onProgress` goes to the SDK call (`backup()`, `restore()`), `finish()` clears the line. */
export interface ProgressLine<P = BackupProgress> {
  readonly onProgress: ((progress: P) => void) | undefined;
  finish(): void;
}

/** A stream a progress line can be drawn on: a TTY knows its width. */
type ProgressStream = Writable & { isTTY?: boolean; columns?: number };

/**
 * A line on `stream` rewritten with the `text` of each update (cut to the terminal's width) when
 * `stream` is a TTY, else a reporter that does nothing.
 */
const textLine = <P>(stream: ProgressStream, text: (progress: P) => string): ProgressLine<P> => {
  if (!stream.isTTY) return { onProgress: undefined, finish: () => {} };
  let shown = false;
  return {
    onProgress: (progress) => {
      const width = Math.max(20, (stream.columns || 80) - 1);
      stream.write(`\r\x1b[K${text(progress).slice(0, width)}`);
      shown = true;
    },
    finish: () => {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
    },
  };
};

/** The progress line of backup `name` on `stream` when it is a TTY, else a reporter that does nothing. */
export const progressLine = (stream: ProgressStream, name: string): ProgressLine =>
  textLine(stream, (progress: BackupProgress) => progressText(name, progress));

/** The text of one restore progress update. */
export const restoreProgressText = (name: string, p: RestoreProgress): string =>
  `Restoring "${name}": ${p.itemsRestored}/${p.totalItems} items restored (${p.resource})`;

/** The progress line of restore `name` on `stream` when it is a TTY, else a reporter that does nothing. */
export const restoreProgressLine = (stream: ProgressStream, name: string): ProgressLine<RestoreProgress> =>
  textLine(stream, (progress: RestoreProgress) => restoreProgressText(name, progress));
