/**
 * Output: Go's `text/tabwriter` (which velero's tables and describers are printed with), tables in
 * kubectl's layout, and JSON / YAML encodings of objects.
 */
import type { Writable } from "node:stream";
import { stringify } from "yaml";
import type { Io, OutputFormat } from "./types.ts";

/** Settings of {@link tabwrite}, as Go's `tabwriter.NewWriter(out, minwidth, tabwidth, padding, ' ', 0)`. */
export interface TabwriterOptions {
  /** Minimal cell width including padding. */
  readonly minWidth: number;
  /** Spaces added to the widest cell of a column. */
  readonly padding: number;
}

const width = (text: string): number => [...text].length;

/**
 * Aligns tab-terminated cells exactly as Go's tabwriter does (align left, pad with spaces): a column
 * block is a run of adjacent lines that have a cell in that column; the text after a line's last tab
 * is not part of any column.
 */
export const tabwrite = (text: string, options: TabwriterOptions): string => {
  const lines = text.split("\n").map((line) => line.split("\t"));
  const out: string[] = lines.map(() => "");
  const format = (line0: number, line1: number, column: number): void => {
    let start = line0;
    while (start < line1) {
      const cells = lines[start] as string[];
      if (column >= cells.length - 1) {
        start++;
        continue;
      }
      let end = start;
      let cellWidth = options.minWidth;
      while (end < line1 && column < (lines[end] as string[]).length - 1) {
        cellWidth = Math.max(cellWidth, width((lines[end] as string[])[column] as string) + options.padding);
        end++;
      }
      for (let i = start; i < end; i++) {
        const cell = (lines[i] as string[])[column] as string;
        out[i] += cell + " ".repeat(cellWidth - width(cell));
      }
      format(start, end, column + 1);
      start = end;
    }
  };
  format(0, lines.length, 0);
  // the text after each line's last tab
  return lines.map((cells, i) => out[i] + (cells[cells.length - 1] as string)).join("\n");
};

/** kubectl's table writer settings (minwidth 6, padding 3), used by velero's `get` commands. */
export const TABLE_OPTIONS: TabwriterOptions = { minWidth: 6, padding: 3 };

/** A table with upper-case headers, columns separated by at least 3 spaces. */
export const formatTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string =>
  `${tabwrite(
    [headers, ...rows].map((row) => row.map((cell) => cell.replace(/[\t\n]/g, " ")).join("\t")).join("\n"),
    TABLE_OPTIONS,
  )}\n`;

/** An object as JSON (2-space indent) or YAML, with a trailing newline. */
export const encode = (value: unknown, format: Exclude<OutputFormat, "table">): string =>
  format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });

/**
 * kubectl's rule for `-o json|yaml` of `get`: one object when exactly one was asked for by name,
 * otherwise a list object of `kind` (`BackupList`) holding all of them.
 */
export const encodeObjects = (
  items: readonly unknown[],
  list: { apiVersion: string; kind: string },
  single: boolean,
  format: Exclude<OutputFormat, "table">,
): string => encode(single && items.length === 1 ? items[0] : { ...list, metadata: {}, items }, format);

/** How a `get` verb prints what it found; see {@link printListing}. */
export interface Listing<T> {
  /** The list object of `-o json|yaml`, e.g. `{ apiVersion: "velero.io/v1", kind: "BackupList" }`. */
  readonly list: { readonly apiVersion: string; readonly kind: string };
  /** The object `-o json|yaml` prints for an item. @default the item itself */
  readonly object?: (item: T) => unknown;
  /** The table's headers. */
  readonly headers: readonly string[];
  /** One table row. */
  readonly row: (item: T) => readonly string[];
  /** The line stderr gets instead of an empty table, e.g. `No backup locations in FILE.` */
  readonly empty: string;
}

/**
 * Prints what a `get` verb found: with `-o json|yaml` the objects (kubectl's rule: one object when
 * `single`, one asked for by name, else the list object), else a table, or `listing.empty` on stderr
 * when there is nothing to tabulate.
 */
export const printListing = async <T>(
  io: Io,
  output: OutputFormat,
  items: readonly T[],
  single: boolean,
  listing: Listing<T>,
): Promise<void> => {
  if (output !== "table") {
    const objects = listing.object ? items.map(listing.object) : items;
    await write(io.stdout, encodeObjects(objects, listing.list, single, output));
  } else if (items.length === 0) {
    io.stderr.write(`${listing.empty}\n`);
  } else {
    await write(io.stdout, formatTable(listing.headers, items.map(listing.row)));
  }
};

/** Writes `text` and waits until the stream accepted it. */
export const write = (stream: Writable, text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    stream.write(text, (error) => (error ? reject(error) : resolve()));
  });
