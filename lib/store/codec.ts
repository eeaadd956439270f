/**
 * Byte-compatible encoders for what Velero writes next to a backup:
 * - sidecar `*.json.gz` / `*-results.gz`: Go `json.Encoder` output (compact JSON + "\n") inside gzip
 *   (`pkg/util/encode/encode.go` `ToJSONGzip`); readers must accept `null`;
 * - `velero-backup.json`: the k8s JSON serializer's pretty form (Go `json.MarshalIndent`, two spaces,
 *   no trailing newline), `kind` then `apiVersion`, `metadata`, `spec`, `status`, fields in Go struct order.
 * Go's encoder escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; so do these.
 */
import type { Readable } from "node:stream";
import { buffer as readAll } from "node:stream/consumers";
import { promisify } from "node:util";
import { createGunzip, gunzip as gunzipCb, gzipSync } from "node:zlib";
import { FormatError } from "../errors.ts";
import { withGoEscapes } from "../format/json.ts";
import { isRecord } from "../util/is-record.ts";
import { orderBackupFields } from "./backup-order.ts";
import type { Backup } from "./types.ts";

const gunzip = promisify(gunzipCb);

/**
 * `JSON.stringify` with Go's escaping: HTML-safe `<`, `>`, `&`, U+2028, U+2029, and lone surrogates (invalid
 * UTF-8 to Go) as `\ufffd`; members stay in the value's own order. Control characters already match (Go
 * 1.22+ and JSON.stringify both use `\b \f \n \r \t` and `\u00xx`).
 * @param indent spaces per level, as `JSON.stringify` takes it. @default none (compact)
 */
export const goJsonStringify = (value: unknown, indent?: number): string =>
  withGoEscapes(JSON.stringify(value, null, indent) ?? "null");

/** Go `json.Encoder.Encode` output: compact JSON followed by a newline. */
export const encodeJson = (value: unknown): string => `${goJsonStringify(value)}\n`;

/** gzip(Go `json.Encoder` output) as Velero writes every `*.json.gz` and `*-results.gz` file. */
export const encodeJsonGz = (value: unknown): Buffer => gzipSync(encodeJson(value));

/** gzipped text, as Velero writes `*-logs.gz`. */
export const encodeTextGz = (text: string): Buffer => gzipSync(text);

const readInput = async (input: Buffer | Uint8Array | Readable): Promise<Buffer> =>
  input instanceof Uint8Array
    ? Buffer.from(input.buffer, input.byteOffset, input.byteLength)
    : readAll(input);

/**
 * Decodes a gzipped JSON value (Velero's sidecar files). `null` content decodes to `null`.
 * @param what names the file in error messages
 */
export const decodeJsonGz = async <T = unknown>(
  input: Buffer | Uint8Array | Readable,
  what = "gzipped JSON",
): Promise<T | null> => {
  const raw = await readInput(input);
  let text: string;
  try {
    text = (await gunzip(raw)).toString("utf8");
  } catch (error) {
    throw new FormatError(
      `${what} is not valid gzip (${(error as Error).message}): expected a gzip stream as Velero writes it`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as T | null;
  } catch (error) {
    throw new FormatError(
      `${what} does not hold valid JSON after gunzip (${(error as Error).message}): expected one JSON value and a newline`,
      { cause: error },
    );
  }
};

/** Decodes gzipped text (`*-logs.gz`). */
export const decodeTextGz = async (
  input: Buffer | Uint8Array | Readable,
  what = "gzipped text",
): Promise<string> => {
  try {
    return (await gunzip(await readInput(input))).toString("utf8");
  } catch (error) {
    throw new FormatError(`${what} is not valid gzip (${(error as Error).message})`, { cause: error });
  }
};

/**
 * `velero-backup.json` bytes exactly as Velero writes them: k8s pretty JSON (2-space indent, Go escaping,
 * no trailing newline), `kind` first, then `apiVersion`, `metadata`, `spec`, `status`.
 */
export const encodeBackupMetadata = (backup: Backup): Buffer => {
  if (backup.kind !== "Backup" || backup.apiVersion !== "velero.io/v1") {
    throw new FormatError(
      `velero-backup.json must hold a Backup with apiVersion "velero.io/v1" and kind "Backup", got apiVersion ${JSON.stringify(backup.apiVersion)} and kind ${JSON.stringify(backup.kind)}`,
    );
  }
  return Buffer.from(goJsonStringify(orderBackupFields(backup), 2), "utf8");
};

/** Parses `velero-backup.json` (plain JSON, also Ark's `ark-backup.json`), checking it is a Backup. */
export const decodeBackupMetadata = (input: Buffer | string, what = "velero-backup.json"): Backup => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof input === "string" ? input : input.toString("utf8"));
  } catch (error) {
    throw new FormatError(
      `${what} is not valid JSON (${(error as Error).message}): expected the Backup object`,
      {
        cause: error,
      },
    );
  }
  if (!isRecord(parsed) || parsed.kind !== "Backup" || typeof parsed.apiVersion !== "string") {
    const got = isRecord(parsed)
      ? `kind ${JSON.stringify(parsed.kind)}, apiVersion ${JSON.stringify(parsed.apiVersion)}`
      : typeof parsed;
    throw new FormatError(
      `${what} does not hold a Backup: expected kind "Backup" and apiVersion "velero.io/v1", got ${got}`,
    );
  }
  return parsed as unknown as Backup;
};

/** `raw` gunzipped, as a stream (`*-logs.gz` of any size); an error of `raw` ends the result with that error. */
export const gunzipStream = (raw: Readable): Readable => {
  const gunzip = createGunzip();
  raw.on("error", (error) => gunzip.destroy(error));
  return raw.pipe(gunzip);
};

/**
 * A restore record (`restore-<r>.json`) as Stowage writes it: Go-escaped JSON indented by two spaces and
 * a newline, like `velero-backup.json` plus the newline.
 */
export const encodeRestoreRecord = (record: unknown): string => `${goJsonStringify(record, 2)}\n`;
