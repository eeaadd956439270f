/**
 * Where an extracted archive's item bytes live: one append-only file (`items.bin`, mode 0600, created
 * with O_EXCL) inside the private extraction directory, addressed by (offset, length). Archive names
 * never become file names, so no entry can write anywhere else, and 20,000 entries cost one file rather
 * than 20,000 (small-file creation is what made per-file extraction slow).
 *
 * The `-preferredversion` twin Velero writes right after each classic copy is stored once when its bytes
 * are identical, halving the disk used.
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { FormatError } from "../errors.ts";

/** Item bytes of an extracted archive, by id. */
export class ItemStore {
  readonly path: string;
  readonly #offsets: number[] = [];
  readonly #lengths: number[] = [];
  #size = 0;
  #out: WriteStream | undefined;
  #writeError: Error | undefined;
  #reader: Promise<FileHandle> | undefined;
  #last: { key: string; id: number; data: Buffer } | undefined;

  constructor(dir: string) {
    this.path = join(dir, "items.bin");
  }

  /** Bytes stored so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends an item copy and returns its id. `key` identifies the item across its copies; a copy with
   * the same key and bytes as the copy appended just before shares that copy's id.
   */
  async append(data: Buffer, key: string): Promise<number> {
    const last = this.#last;
    if (last !== undefined && last.key === key && last.data.equals(data)) {
      this.#last = undefined;
      return last.id;
    }
    const out = this.#open();
    const id = this.#offsets.length;
    this.#offsets.push(this.#size);
    this.#lengths.push(data.length);
    this.#size += data.length;
    this.#last = { key, id, data };
    if (!out.write(data)) {
      await once(out, "drain").catch((error: unknown) => {
        throw this.#writeError ?? error;
      });
    }
    if (this.#writeError !== undefined) throw this.#writeError;
    return id;
  }

  /** Flushes and closes the file; call once, before any read. */
  async finish(): Promise<void> {
    this.#last = undefined;
    const out = this.#open();
    out.end();
    await once(out, "close");
    if (this.#writeError !== undefined) throw this.#writeError;
  }

  /** The bytes of item `id`. */
  async read(id: number): Promise<Buffer> {
    const offset = this.#offsets[id];
    const length = this.#lengths[id];
    if (offset === undefined || length === undefined) throw new FormatError(`no stored item has id ${id}`);
    this.#reader ??= open(this.path, "r");
    const handle = await this.#reader;
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) {
        throw new FormatError(
          `the extracted archive's ${this.path} is shorter than expected; was it modified?`,
        );
      }
      filled += bytesRead;
    }
    return buffer;
  }

  /** Closes the read handle (the directory's owner removes the file). */
  async close(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader !== undefined) await (await reader.catch(() => undefined))?.close();
    if (this.#out !== undefined && !this.#out.closed) {
      this.#out.destroy();
      await once(this.#out, "close").catch(() => {});
    }
  }

  #open(): WriteStream {
    if (this.#out === undefined) {
      this.#out = createWriteStream(this.path, { flags: "wx", mode: 0o600 });
      this.#out.on("error", (error) => {
        this.#writeError ??= new FormatError(
          `cannot store extracted items in ${this.path}: ${error.message}`,
          {
            cause: error,
          },
        );
      });
    }
    return this.#out;
  }
}
