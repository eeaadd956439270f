/**
 * A pass-through guard in front of the tar parser: it follows the 512-byte tar headers of the inflated
 * stream and refuses a PAX extended header (typeflag `x`, global `g`) or a GNU long name (`L`, `K`)
 * whose declared size is over `maxHeaderBytes`, before the tar parser starts buffering it whole.
 * It follows the parser's own reading of sizes (octal or base-256, a PAX `size` record overriding the
 * next entry's, directories carrying no body) so both stay aligned; at a block that is not a valid
 * header it stops looking and leaves the parser to report it.
 */
import { Transform, type TransformCallback } from "node:stream";
import { FormatError } from "../errors.ts";

const BLOCK = 512;

/** The long-header typeflags the parser buffers whole, with what each is. */
const LONG_HEADERS: Record<string, string> = {
  x: "PAX extended header",
  g: "PAX global header",
  L: "GNU long-name header",
  K: "GNU long-link header",
};

const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

/** A numeric header field: octal text (leading spaces, NUL or space ended) or GNU base-256. */
const numericField = (field: Buffer): number => {
  const first = field[0] ?? 0;
  if (first === 0x80 || first === 0xff) {
    let sum = 0;
    for (let i = 1; i < field.length; i++) {
      const byte = field[i] ?? 0;
      sum = sum * 256 + (first === 0x80 ? byte : 0xff - byte);
    }
    return first === 0x80 ? sum : -sum - 1;
  }
  if (first & 0x80) return Number.NaN;
  let start = 0;
  while (start < field.length && field[start] === 0x20) start++;
  let end = field.indexOf(0x20, start);
  if (end === -1) end = field.length;
  while (start < end && field[start] === 0) start++;
  if (start === end) return 0;
  return Number.parseInt(field.subarray(start, end).toString("latin1"), 8);
};

/** The `size` record of a PAX header body, read as the tar parser reads it. */
const paxSize = (body: Buffer): string | undefined => {
  let rest = body;
  let size: string | undefined;
  while (rest.length > 0) {
    let i = 0;
    while (i < rest.length && rest[i] !== 0x20) i++;
    const length = Number.parseInt(rest.subarray(0, i).toString(), 10);
    if (!length) break;
    const record = rest.subarray(i + 1, length - 1).toString();
    const eq = record.indexOf("=");
    if (eq === -1) break;
    if (record.slice(0, eq) === "size") size = record.slice(eq + 1);
    rest = rest.subarray(length);
  }
  return size;
};

/** Whether a block is a tar header the parser accepts (checksum, ustar or GNU magic). */
const validHeader = (block: Buffer): boolean => {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  if (sum !== numericField(block.subarray(148, 156))) return false;
  const magic = block.subarray(257, 263).toString("latin1");
  return magic === "ustar\0" || magic === "ustar ";
};

const headerName = (block: Buffer): string => {
  const field = (start: number, length: number): string => {
    const end = block.indexOf(0, start);
    return block.subarray(start, end === -1 || end > start + length ? start + length : end).toString();
  };
  const name = field(0, 100);
  const prefix = block.subarray(257, 263).toString("latin1") === "ustar\0" ? field(345, 155) : "";
  return prefix === "" ? name : `${prefix}/${name}`;
};

const unreadableSize = (block: Buffer, what: string): FormatError =>
  new FormatError(
    `refusing archive entry ${JSON.stringify(headerName(block))}: its ${what} size field (bytes ${block.subarray(124, 136).toString("hex")}) is neither octal digits nor a non-negative base-256 number; the archive is corrupt or hostile`,
  );

/** Passes the inflated tar through unchanged; throws a `FormatError` at an oversized long header. */
export class TarHeaderGuard extends Transform {
  readonly #maxHeaderBytes: number;
  readonly #block = Buffer.alloc(BLOCK);
  #filled = 0;
  /** Body and padding bytes still to pass before the next header. */
  #skip = 0;
  /** A long header's body being collected (at most `maxHeaderBytes`), then its padding. */
  #long: { type: string; size: number; chunks: Buffer[]; missing: number } | undefined;
  #pax: string | undefined | null = null;
  #globalPax: string | undefined | null = null;
  #stopped = false;

  /** @param maxHeaderBytes largest PAX or GNU long-name header body accepted */
  constructor(maxHeaderBytes: number) {
    super();
    this.#maxHeaderBytes = maxHeaderBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#inspect(chunk);
      callback(null, chunk);
    } catch (error) {
      this.#stopped = true;
      callback(error as Error);
    }
  }

  #inspect(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length && !this.#stopped) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - pos);
        this.#skip -= n;
        pos += n;
      } else if (this.#long !== undefined) {
        const long = this.#long;
        const n = Math.min(long.missing, chunk.length - pos);
        long.chunks.push(chunk.subarray(pos, pos + n));
        long.missing -= n;
        pos += n;
        if (long.missing === 0) this.#endLong(long);
      } else {
        const n = Math.min(BLOCK - this.#filled, chunk.length - pos);
        chunk.copy(this.#block, this.#filled, pos, pos + n);
        this.#filled += n;
        pos += n;
        if (this.#filled === BLOCK) {
          this.#filled = 0;
          this.#header(this.#block);
        }
      }
    }
  }

  #endLong(long: { type: string; size: number; chunks: Buffer[] }): void {
    this.#long = undefined;
    this.#skip = padding(long.size);
    if (long.type === "x" || long.type === "g") {
      const size = paxSize(Buffer.concat(long.chunks));
      if (long.type === "g") this.#globalPax = size;
      else this.#pax = size ?? (this.#globalPax === null ? undefined : this.#globalPax);
    }
  }

  #header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) return; // end-of-archive blocks: the parser reads on
    if (!validHeader(block)) {
      this.#stopped = true; // the parser refuses it with its own error
      return;
    }
    const flag = block[156] === 0 ? "0" : String.fromCharCode(block[156] ?? 0);
    let size = numericField(block.subarray(124, 136));
    const kind = LONG_HEADERS[flag];
    // the parser reads such a field as no size at all and then waits forever for the entry's end
    if (!(size >= 0)) throw unreadableSize(block, kind ?? "header");
    if (kind !== undefined) {
      if (size > this.#maxHeaderBytes) {
        throw new FormatError(
          `refusing archive entry ${JSON.stringify(headerName(block))}: its ${kind} declares ${size} bytes, more than maxHeaderBytes (${this.#maxHeaderBytes}); Velero writes a few hundred bytes there, so the archive is corrupt or hostile — raise maxHeaderBytes only if a real backup needs it`,
        );
      }
      if (size > 0) this.#long = { type: flag, size, chunks: [], missing: size };
      return;
    }
    if (this.#pax !== null) {
      if (this.#pax) size = Number.parseInt(this.#pax, 10);
      this.#pax = null;
    }
    const directory = flag === "5" || (flag === "0" && headerName(block).endsWith("/"));
    if (!(size >= 0)) {
      this.#stopped = true; // a PAX size record the parser refuses with its own error
      return;
    }
    if (!directory) this.#skip = size + padding(size);
  }
}
