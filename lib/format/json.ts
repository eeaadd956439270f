/**
 * Item JSON exactly as Velero writes it: Go's `json.Marshal` of a Kubernetes unstructured object
 * (`pkg/backup/item_backupper.go`), so a Stowage item and a Velero item are the same bytes.
 *
 * Go's rules, all checked against golden output from Go in test/fixtures/format/go-json-golden.json:
 * - compact, no trailing newline; object keys sorted by their UTF-8 bytes (so `"10"` < `"9"`, which a
 *   JavaScript object's own key order can never give);
 * - `<`, `>`, `&` are written `\u003c`, `\u003e`, `\u0026`, and U+2028/U+2029 `\u2028`/`\u2029`
 *   (HTML-safe escaping, on by default in Go); `\b \f \n \r \t` short escapes (Go 1.22+), other control
 *   characters `\u00XX` with lower-case hex; DEL and all other characters raw UTF-8;
 * - invalid UTF-16 (a lone surrogate, which Go would see as invalid UTF-8) becomes `\ufffd`;
 * - numbers: integers as decimal digits (`bigint` for int64 values beyond 2^53), floats as the shortest
 *   round-trip text, exponent form below 1e-6 and from 1e21 on — which is what JavaScript's
 *   `String(number)` already does; NaN and ±Infinity are refused as Go refuses them.
 */
import { FormatError } from "../errors.ts";

/** A JSON value as Go's encoder takes it; `bigint` carries int64 values beyond 2^53 exactly. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters Go escapes
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;
const SHORT_ESCAPES: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };

const escapeCode = (code: number): string | undefined => {
  if (code < 0x20) return SHORT_ESCAPES[code] ?? `\\u00${code.toString(16).padStart(2, "0")}`;
  switch (code) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return "\\\\";
    case 0x3c:
      return "\\u003c";
    case 0x3e:
      return "\\u003e";
    case 0x26:
      return "\\u0026";
    case 0x2028:
      return "\\u2028";
    case 0x2029:
      return "\\u2029";
    default:
      return undefined;
  }
};

/** A string as Go's `encoding/json` quotes it (HTML-safe escaping on). */
export const quoteGoString = (s: string): string => {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    let replacement: string | undefined;
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid surrogate pair: one non-BMP character, written raw
        continue;
      }
      replacement = "\\ufffd";
    } else {
      replacement = escapeCode(code);
    }
    if (replacement !== undefined) {
      out += s.slice(start, i) + replacement;
      start = i + 1;
    }
  }
  return `${out}${s.slice(start)}"`;
};

/**
 * Orders strings by their UTF-8 bytes (= by code point), as Go's `strings.Compare` does. JavaScript's
 * `<` compares UTF-16 code units, which differs only when a surrogate meets U+E000–U+FFFF.
 */
export const compareGoStrings = (a: string, b: string): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate && !ySurrogate && y >= 0xe000) return 1;
    if (ySurrogate && !xSurrogate && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
};

const describeNonJson = (value: object): string => {
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === "string" && ctor.name !== "" ? `a ${ctor.name}` : "a non-plain object";
};

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

const encodeValue = (value: unknown, path: string, ancestors: Set<object>): string => {
  switch (typeof value) {
    case "string":
      return quoteGoString(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) {
        throw new FormatError(
          `cannot encode item JSON: ${path} is ${value}; JSON (and Go's encoder) has no such number — use a finite number or a string`,
        );
      }
      return String(value);
    case "object": {
      if (value === null) return "null";
      if (ancestors.has(value)) {
        throw new FormatError(
          `cannot encode item JSON: ${path} refers back to an enclosing object (a cycle)`,
        );
      }
      ancestors.add(value);
      try {
        if (Array.isArray(value)) {
          const parts = value.map((element: unknown, i) =>
            element === undefined ? "null" : encodeValue(element, `${path}[${i}]`, ancestors),
          );
          return `[${parts.join(",")}]`;
        }
        if (!isPlainObject(value)) {
          throw new FormatError(
            `cannot encode item JSON: ${path} is ${describeNonJson(value)}, expected plain JSON (objects, arrays, strings, numbers, booleans, null); pass the object as the API server returned it (e.g. timestamps as strings)`,
          );
        }
        const keys = Object.keys(value).sort(compareGoStrings);
        const parts: string[] = [];
        for (const key of keys) {
          const member = value[key];
          if (member === undefined) continue; // as JSON.stringify: an undefined member is absent
          parts.push(`${quoteGoString(key)}:${encodeValue(member, `${path}.${key}`, ancestors)}`);
        }
        return `{${parts.join(",")}}`;
      } finally {
        ancestors.delete(value);
      }
    }
    default:
      throw new FormatError(
        `cannot encode item JSON: ${path} is ${value === undefined ? "undefined" : `a ${typeof value}`}, expected a JSON value`,
      );
  }
};

/** Thrown by the fast encoder on anything unusual; the careful encoder then says what and where. */
const NOT_FAST = Symbol("not fast");
/** Deeper than this, the fast encoder hands over (a cycle, or an object too odd to be a Kubernetes item). */
const FAST_MAX_DEPTH = 200;
/**
 * Keys a JavaScript object cannot hold in sorted order: array indices (always enumerated first, in
 * numeric order) and `__proto__`. Tested only on keys starting with a digit or `_`, as a regular
 * expression per key was half the encoder's time.
 */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
/** A key whose UTF-16 order may differ from its UTF-8 order. */
const SURROGATE = /[\ud800-\udfff]/;
/** Output that may hold a key with a surrogate: any raw surrogate pair, or an escaped lone one. */
const MAYBE_SURROGATE_KEY = /[\ud800-\udfff]|\\ud[89a-f]/;
/** What Go escapes and `JSON.stringify` does not: HTML characters, separators, lone surrogates (escaped). */
const GO_ONLY = /[<>&\u2028\u2029]|\\ud[89a-f]/;
/** {@link GO_ONLY} or {@link MAYBE_SURROGATE_KEY}: whatever needs a second look. */
const GO_SPECIAL = /[<>&\u2028\u2029\ud800-\udfff]|\\ud[89a-f]/;
const GO_ONLY_ALL = /[<>&\u2028\u2029]|\\(?:\\|ud[89a-f][0-9a-f]{2})/g;
const GO_ONLY_REPLACEMENTS: Readonly<Record<string, string>> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
  "\\\\": "\\\\",
};
/** JSON.rawJSON (Node ≥ 21) emits a bigint's digits verbatim. */
const rawJson = (JSON as { rawJSON?: (text: string) => unknown }).rawJSON;

/**
 * `value` with its objects' keys in Go's order, so that `JSON.stringify` writes them sorted: objects
 * whose keys are out of order are copied, everything else is shared (maps such as `data` and `labels`
 * arrive sorted, since Go's encoder sorts map keys). Throws {@link NOT_FAST} on anything
 * `JSON.stringify` would write differently from Go: an array-index key, `__proto__`, a non-finite
 * number, a non-plain object, a function, deep nesting — and, when `surrogateKeys` is set, a key holding
 * a surrogate (whose UTF-16 order is not Go's). Without it such keys pass unchecked: the caller looks
 * for surrogates in the output, which is one scan instead of one per key.
 */
const sortedCopy = (value: unknown, depth: number, surrogateKeys: boolean): unknown => {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw NOT_FAST;
      return value;
    case "bigint":
      if (rawJson === undefined) throw NOT_FAST;
      return rawJson(value.toString());
    case "object": {
      if (value === null) return null;
      if (depth > FAST_MAX_DEPTH) throw NOT_FAST;
      if (Array.isArray(value)) {
        let copy: unknown[] | undefined;
        for (let i = 0; i < value.length; i++) {
          const element: unknown = value[i];
          // JSON.stringify writes an undefined element as null, as Go would write a nil
          const out = element === undefined ? undefined : sortedCopy(element, depth + 1, surrogateKeys);
          if (out !== element) {
            copy ??= value.slice(0, i);
            copy[i] = out;
          } else if (copy) copy[i] = element;
        }
        return copy ?? value;
      }
      if (!isPlainObject(value)) throw NOT_FAST;
      const keys = Object.keys(value);
      let sorted = true;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const first = key.charCodeAt(0);
        if (first >= 0x30 && first <= 0x39 && INDEX_KEY.test(key)) throw NOT_FAST;
        if (first === 0x5f && key === "__proto__") throw NOT_FAST;
        if (surrogateKeys && SURROGATE.test(key)) throw NOT_FAST;
        if (i > 0 && keys[i - 1]! > key) sorted = false;
      }
      if (!sorted) keys.sort();
      let copy: Record<string, unknown> | undefined = sorted ? undefined : {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const member = value[key];
        if (member === undefined) continue; // an undefined member is absent, as JSON.stringify leaves it out
        // strings are most members: returned as they are without a call
        const out = typeof member === "string" ? member : sortedCopy(member, depth + 1, surrogateKeys);
        if (!copy && out !== member) {
          copy = {};
          for (let j = 0; j < i; j++) if (value[keys[j]!] !== undefined) copy[keys[j]!] = value[keys[j]!];
        }
        if (copy) copy[key] = out;
      }
      return copy ?? value;
    }
    default:
      throw NOT_FAST;
  }
};

/**
 * The hot path of {@link encodeItemJson}: `JSON.stringify` of a key-sorted copy, then Go's extra escapes.
 * `JSON.stringify` already quotes as Go does (`\b \f \n \r \t`, lower-case `\u00XX`, raw DEL and
 * non-ASCII); `<`, `>`, `&`, U+2028 and U+2029 can only occur inside strings of its output, and a lone
 * surrogate comes out as a `\udXXX` escape, which Go writes `\ufffd`. Keys are checked for surrogates
 * only when the output holds one (rare in Kubernetes objects): then the copy is made again, checking.
 */
const encodeFast = (value: unknown): string => {
  let text = JSON.stringify(sortedCopy(value, 0, false));
  // one scan for the usual case, an item with none of these
  if (!GO_SPECIAL.test(text)) return text;
  if (MAYBE_SURROGATE_KEY.test(text)) text = JSON.stringify(sortedCopy(value, 0, true));
  return withGoEscapes(text);
};

/**
 * `JSON.stringify` output (compact or indented) with the escapes Go adds: `<`, `>`, `&`, U+2028 and
 * U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`, and a lone surrogate's `\udXXX` as `\ufffd`
 * (invalid UTF-8 to Go). Those characters only occur inside strings of such output, so rewriting it is
 * exact; everything else `JSON.stringify` already writes as Go does. Returns `json` itself when it holds
 * none of them.
 */
export const withGoEscapes = (json: string): string => {
  if (!GO_ONLY.test(json)) return json;
  // a match starting with a backslash is an escape sequence: `\\` stays, `\udXXX` becomes U+FFFD
  return json.replace(GO_ONLY_ALL, (m) => GO_ONLY_REPLACEMENTS[m] ?? "\\ufffd");
};

/**
 * Serialises a Kubernetes object to the exact bytes Velero's `json.Marshal` gives: compact, keys
 * sorted recursively, Go's escaping, no trailing newline.
 * @throws FormatError for values JSON cannot hold (NaN, functions, Dates, Maps, cycles).
 */
export const encodeItemJson = (object: unknown): Buffer => Buffer.from(encodeItemJsonText(object), "utf8");

/**
 * {@link encodeItemJson} as a string (whose UTF-8 encoding is those bytes), for a caller that writes it
 * into a buffer of its own.
 */
export const encodeItemJsonText = (object: unknown): string => {
  try {
    return encodeFast(object);
  } catch (error) {
    if (error !== NOT_FAST) throw error;
    return encodeValue(object, "(item)", new Set());
  }
};

/** Options of {@link parseItemJson}. */
export interface ParseItemJsonOptions {
  /**
   * Keep integers beyond ±2^53 (up to int64) exact as `bigint`, as Kubernetes' decoder keeps them as
   * int64; otherwise they are rounded to the nearest double, like `JSON.parse`. `bigint` values re-encode
   * exactly with {@link encodeItemJson} but `JSON.stringify` refuses them.
   * @default false
   */
  exactIntegers?: boolean;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_LITERAL = /^-?\d+$/;

const exactIntegerReviver = (_key: string, value: unknown, context?: { source?: string }): unknown => {
  if (typeof value !== "number" || Number.isSafeInteger(value)) return value;
  const source = context?.source;
  if (source === undefined || !INTEGER_LITERAL.test(source)) return value;
  const exact = BigInt(source);
  // Beyond int64 Kubernetes falls back to float64, which is what `value` already is.
  return exact >= INT64_MIN && exact <= INT64_MAX ? exact : value;
};

/**
 * Parses an item's JSON bytes (as read from an archive).
 * @throws FormatError when the bytes are not JSON, naming `what` (e.g. the archive path).
 */
export const parseItemJson = (
  bytes: Uint8Array | string,
  options: ParseItemJsonOptions = {},
  what = "item",
): unknown => {
  const text =
    typeof bytes === "string"
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  try {
    return options.exactIntegers === true ? JSON.parse(text, exactIntegerReviver) : JSON.parse(text);
  } catch (cause) {
    throw new FormatError(
      `${what} is not valid JSON (${(cause as Error).message}); the archive is corrupt or was not written by Velero/Stowage`,
      { cause },
    );
  }
};
