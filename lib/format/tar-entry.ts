/**
 * The tar bytes of one regular-file entry as the archive writer needs them (velero-format.md §1): a
 * USTAR header — mode 0755, uid/gid 0, empty uname/gname, the path split into prefix/name when it is
 * longer than 100 bytes — or, for a path USTAR cannot hold (over 255 bytes, or not ASCII), a PAX `path`
 * record first. Byte for byte what tar-stream's packer writes for the same entry, without its per-entry
 * stream machinery: the writer packs tens of thousands of small entries per backup.
 */

const BLOCK = 512;
const MODE = 0o755;
const TYPE_FILE = 0x30; // '0'
const TYPE_PAX = 0x78; // 'x'
const USTAR = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]; // "ustar\0" "00"

/** The end-of-archive marker: two zero blocks. */
export const TAR_END: Buffer = Buffer.alloc(2 * BLOCK);

/** Bytes of zero padding that complete a body of `size` bytes to a whole block. */
export const tarPaddingLength = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;

/** Zero padding that completes a body of `size` bytes to a whole block. */
export const tarPadding = (size: number): Buffer => TAR_END.subarray(0, tarPaddingLength(size));

/** `value` in octal, zero-padded to `digits`, then a space (what tar-stream writes). */
const octal = (value: number, digits: number): string => {
  const text = value.toString(8);
  return text.length > digits ? `${"7".repeat(digits)} ` : `${text.padStart(digits, "0")} `;
};

/** Splits `path` into USTAR prefix (≤ 155 bytes) and name (≤ 100 bytes) at a `/`, or undefined. */
const ustarSplit = (path: string): { prefix: string; name: string } | undefined => {
  if (Buffer.byteLength(path) !== path.length) return undefined; // not ASCII: PAX
  let name = path;
  let prefix = "";
  while (name.length > 100) {
    const slash = name.indexOf("/");
    if (slash === -1) return undefined;
    prefix += prefix ? `/${name.slice(0, slash)}` : name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  return prefix.length > 155 ? undefined : { prefix, name };
};

/** The fields every header shares (mode, uid, gid, magic, version, device numbers), and their byte sum. */
const TEMPLATE = (() => {
  const block = Buffer.alloc(BLOCK);
  block.write(octal(MODE, 6), 100);
  block.write(octal(0, 6), 108);
  block.write(octal(0, 6), 116);
  block.set(USTAR, 257);
  block.write(octal(0, 6), 329);
  block.write(octal(0, 6), 337);
  return block;
})();
const TEMPLATE_SUM = TEMPLATE.reduce((sum, byte) => sum + byte, 8 * 0x20); // the checksum field counts as spaces

const byteSum = (block: Buffer, start: number, end: number): number => {
  let sum = 0;
  for (let i = start; i < end; i++) sum += block[i]!;
  return sum;
};

/** Writes a header block into `block` at `at` (512 bytes from there are overwritten). */
const writeHeader = (
  block: Buffer,
  at: number,
  name: string,
  prefix: string,
  size: number,
  mtime: Date,
  type: number,
): void => {
  TEMPLATE.copy(block, at);
  let sum = TEMPLATE_SUM + type;
  sum += byteSum(block, at, at + block.write(name, at));
  if (size.toString(8).length > 11) {
    // base-256 for sizes of 8 GiB and more
    block[at + 124] = 0x80;
    for (let i = 11, n = size; i > 0; i--, n = Math.floor(n / 256)) block[at + 124 + i] = n % 256;
  } else block.write(octal(size, 11), at + 124);
  block.write(octal(Math.trunc(mtime.getTime() / 1000), 11), at + 136);
  sum += byteSum(block, at + 124, at + 148);
  block[at + 156] = type;
  if (prefix) sum += byteSum(block, at + 345, at + 345 + block.write(prefix, at + 345));
  block.write(octal(sum, 6), at + 148);
};

const header = (name: string, prefix: string, size: number, mtime: Date, type: number): Buffer => {
  const block = Buffer.allocUnsafe(BLOCK);
  writeHeader(block, 0, name, prefix, size, mtime, type);
  return block;
};

/** A PAX record `"<len> path=<path>\n"`, where `<len>` counts the whole record, itself included. */
const paxPathRecord = (path: string): Buffer => {
  const body = ` path=${path}\n`;
  const length = Buffer.byteLength(body);
  let digits = String(length).length;
  if (length + digits >= 10 ** digits) digits++;
  return Buffer.from(`${length + digits}${body}`);
};

/**
 * The header block(s) of a regular file `path` of `size` bytes: one USTAR header, or a PAX header,
 * its `path` record (padded) and a USTAR header named `PaxHeader`, as tar-stream writes them.
 */
export const tarHeader = (path: string, size: number, mtime: Date): Buffer[] => {
  const split = ustarSplit(path);
  if (split) return [header(split.name, split.prefix, size, mtime, TYPE_FILE)];
  const record = paxPathRecord(path);
  return [
    header("PaxHeader", "", record.length, mtime, TYPE_PAX),
    record,
    tarPadding(record.length),
    header("PaxHeader", "", size, mtime, TYPE_FILE),
  ];
};

/**
 * Writes the header of a regular file `path` of `size` bytes straight into `target` at `at` when it is a
 * single USTAR block and 512 bytes are free there, and returns 512; otherwise returns 0 and writes
 * nothing (the caller then uses {@link tarHeader}). Saves an allocation per entry on the hot path.
 */
export const writeTarHeaderInto = (
  target: Buffer,
  at: number,
  path: string,
  size: number,
  mtime: Date,
): number => {
  if (target.length - at < BLOCK) return 0;
  const split = ustarSplit(path);
  if (!split) return 0;
  writeHeader(target, at, split.name, split.prefix, size, mtime, TYPE_FILE);
  return BLOCK;
};
