/**
 * The fuzz engine of issue #19: a seeded PRNG and mutators of a real Velero 1.18.3 backup at three
 * layers — the gzip stream, the tar inside it, the item JSON inside the tar — plus the backup's other
 * files in the store (`velero-backup.json`, the gzip'd JSON sidecars). Shared by
 * test/format/fuzz.test.ts (a few hundred cases) and scripts/fuzz.ts (thousands).
 *
 * Every case is a pure function of (seed, index): {@link makeCase} seeds its own PRNG from both, so a
 * failing case reproduces from the two numbers alone, whatever ran before it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { VELERO_BACKUPS } from "./velero-fixtures.ts";

// ---------------------------------------------------------------------------------------------------
// PRNG

/** mulberry32: small, fast, good enough to spread mutations; not for cryptography. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(values: readonly T[]): T {
    if (values.length === 0) throw new Error("fuzz: pick from an empty list");
    return values[this.int(values.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

const mix32 = (x: number): number => {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
};

/** The PRNG of case `index` of run `seed`: independent of every other case. */
export const caseRng = (seed: number, index: number): Rng =>
  new Rng(mix32(mix32(seed) ^ mix32(index + 0x9e3779b9)));

/** A fresh random seed (printed by the runs so a failure can be replayed). */
export const randomSeed = (): number => (Math.random() * 2 ** 32) >>> 0;

// ---------------------------------------------------------------------------------------------------
// Tar, by hand (independent of lib/format)

const BLOCK = 512;
const padding = (n: number): Buffer => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** One tar entry: raw blocks before its header (PAX / GNU long-name), its header, its body. */
export interface TarEntry {
  pre: Buffer;
  header: Buffer;
  data: Buffer;
}

const cString = (block: Buffer, start: number, length: number): string => {
  const end = block.indexOf(0, start);
  return block.subarray(start, end === -1 || end > start + length ? start + length : end).toString("utf8");
};

/** The path a header names (USTAR prefix + name). */
export const headerPath = (header: Buffer): string => {
  const name = cString(header, 0, 100);
  const prefix = header.subarray(257, 263).toString("latin1") === "ustar\0" ? cString(header, 345, 155) : "";
  return prefix === "" ? name : `${prefix}/${name}`;
};

/** Recomputes a header's checksum (so a corrupted field reaches the parser's deeper checks). */
export const setChecksum = (header: Buffer): Buffer => {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += header[i]!;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return header;
};

const octal = (value: number, width: number): string => `${value.toString(8).padStart(width - 1, "0")}\0`;

/** A USTAR header block. `name` is written as bytes (cut at 100); `prefix` likewise at 155. */
export const makeHeader = (options: {
  name: string | Buffer;
  size: number;
  typeflag?: string;
  linkname?: string;
  prefix?: string;
  mode?: number;
}): Buffer => {
  const header = Buffer.alloc(BLOCK);
  Buffer.from(options.name).copy(header, 0, 0, 100);
  header.write(octal(options.mode ?? 0o755, 8), 100, "latin1");
  header.write(octal(0, 8), 108, "latin1");
  header.write(octal(0, 8), 116, "latin1");
  header.write(octal(Math.min(options.size, 0o77777777777), 12), 124, "latin1");
  header.write(octal(1_795_000_000, 12), 136, "latin1");
  header.write(options.typeflag ?? "0", 156, "latin1");
  if (options.linkname) Buffer.from(options.linkname).copy(header, 157, 0, 100);
  header.write("ustar\0", 257, "latin1");
  header.write("00", 263, "latin1");
  if (options.prefix) Buffer.from(options.prefix).copy(header, 345, 0, 155);
  return setChecksum(header);
};

/** A PAX record `"<len> key=value\n"`, its length counting itself. */
export const paxRecord = (key: string, value: string): string => {
  const body = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(body);
  let length = bytes + 1;
  while (`${length}`.length + bytes !== length) length++;
  return `${length}${body}`;
};

/** A long header (PAX `x`/`g`, GNU `L`/`K`) with its body; `declared` overrides the header's size. */
export const longHeader = (type: string, body: Buffer | string, declared?: number): Buffer => {
  const bytes = Buffer.from(body);
  const name = type === "L" || type === "K" ? "././@LongLink" : "PaxHeader";
  return Buffer.concat([
    makeHeader({ name, size: declared ?? bytes.length, typeflag: type }),
    bytes,
    padding(bytes.length),
  ]);
};

/** A regular-file entry; a name over 100 bytes gets a PAX `path` record, as tar-stream writes it. */
export const fileEntry = (name: string, data: Buffer | string, typeflag = "0"): TarEntry => {
  const body = Buffer.from(data);
  if (Buffer.byteLength(name) <= 100) {
    return { pre: Buffer.alloc(0), header: makeHeader({ name, size: body.length, typeflag }), data: body };
  }
  return {
    pre: longHeader("x", paxRecord("path", name)),
    header: makeHeader({ name: "PaxHeader", size: body.length, typeflag }),
    data: body,
  };
};

/** The path an entry stands for (a PAX `path` record before it wins). */
export const entryPath = (entry: TarEntry): string => {
  if (entry.pre.length >= BLOCK && entry.pre[156] === "x".charCodeAt(0)) {
    const match = /\d+ path=([^\n]*)\n/.exec(entry.pre.subarray(BLOCK).toString("utf8"));
    if (match?.[1] !== undefined) return match[1];
  }
  return headerPath(entry.header);
};

/** Entries of a plain USTAR archive (what Velero writes: one header, one body each). */
export const parseTar = (tar: Buffer): TarEntry[] => {
  const entries: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= tar.length) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/, ""), 8);
    const data = tar.subarray(at + BLOCK, at + BLOCK + size);
    entries.push({ pre: Buffer.alloc(0), header: Buffer.from(header), data: Buffer.from(data) });
    at += BLOCK + size + padding(size).length;
  }
  return entries;
};

/** The tar bytes of `entries`, with the two zero blocks of end-of-archive unless `end` is false. */
export const serializeTar = (entries: readonly TarEntry[], end = true): Buffer => {
  const parts: Buffer[] = [];
  for (const entry of entries) parts.push(entry.pre, entry.header, entry.data, padding(entry.data.length));
  if (end) parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
};

const withData = (entry: TarEntry, data: Buffer): TarEntry => {
  const header = Buffer.from(entry.header);
  header.write(octal(data.length, 12), 124, "latin1");
  return { pre: entry.pre, header: setChecksum(header), data };
};

// ---------------------------------------------------------------------------------------------------
// The fixture

/** The fixture backup the cases mutate: shop-ns-20261122031500 (28 items, 57 tar entries). */
export const FUZZ_BACKUP = "shop-ns-20261122031500";
/** The namespace the fixture backed up. */
export const FUZZ_SOURCE_NAMESPACE = "shop";

/** The fixture backup's files as a store holds them. */
export interface BackupFiles {
  /** `<name>.tar.gz`. */
  tarGz: Buffer;
  /** `velero-backup.json`. */
  backupJson: Buffer;
  /** Other files of `backups/<name>/` by file name (`<name>-podvolumebackups.json.gz`, …). */
  sidecars: Map<string, Buffer>;
}

export interface Fixture extends BackupFiles {
  name: string;
  tar: Buffer;
  entries: TarEntry[];
}

let cachedFixture: Fixture | undefined;

/** Reads the fixture once per process. */
export const loadFixture = (): Fixture => {
  if (cachedFixture) return cachedFixture;
  const dir = join(VELERO_BACKUPS, FUZZ_BACKUP);
  const tarGz = readFileSync(join(dir, `${FUZZ_BACKUP}.tar.gz`));
  const tar = gunzipSync(tarGz);
  const sidecars = new Map<string, Buffer>();
  for (const suffix of [
    "podvolumebackups.json.gz",
    "volumesnapshots.json.gz",
    "volumeinfo.json.gz",
    "itemoperations.json.gz",
    "resource-list.json.gz",
    "results.gz",
    "logs.gz",
  ]) {
    const file = `${FUZZ_BACKUP}-${suffix}`;
    sidecars.set(file, readFileSync(join(dir, file)));
  }
  cachedFixture = {
    name: FUZZ_BACKUP,
    tarGz,
    tar,
    entries: parseTar(tar),
    backupJson: readFileSync(join(dir, "velero-backup.json")),
    sidecars,
  };
  return cachedFixture;
};

// ---------------------------------------------------------------------------------------------------
// Cases

/** Which layer a case mutates; `combo` stacks JSON, tar and gzip mutations. */
export type Layer = "gzip" | "tar" | "json" | "store" | "combo";

export const LAYERS: readonly Layer[] = ["gzip", "tar", "json", "store", "combo"];

/** What the mutators aim at outside the archive's own scope. */
export interface FuzzTargets {
  /** A namespace the restore must never touch: items are moved into it, JSON names it. */
  readonly victimNamespace: string;
  /** An absolute directory that entries try to escape into (`../`, absolute paths, link targets). */
  readonly escapeDir: string;
}

/** One generated case. */
export interface FuzzCase extends BackupFiles {
  readonly seed: number;
  readonly index: number;
  readonly layer: Layer;
  /** What was done, in order, for the report. */
  readonly mutations: string[];
  /** Objects (in the source namespace) given finalizers by a mutation: the cleanup strips them. */
  readonly finalizers: Array<{ groupResource: string; name: string }>;
}

/** A finalizer nothing in the cluster removes; the run strips it when it cleans up. */
export const FUZZ_FINALIZER = "fuzz.stowage.io/hold";

interface Draft {
  rng: Rng;
  targets: FuzzTargets;
  entries: TarEntry[];
  mutations: string[];
  finalizers: Array<{ groupResource: string; name: string }>;
  backupJson: Buffer;
  sidecars: Map<string, Buffer>;
}

const LAYER_WEIGHTS: ReadonlyArray<[Layer, number]> = [
  ["gzip", 20],
  ["tar", 35],
  ["json", 30],
  ["store", 7],
  ["combo", 8],
];

const pickLayer = (rng: Rng): Layer => {
  let roll = rng.int(100);
  for (const [layer, weight] of LAYER_WEIGHTS) {
    if (roll < weight) return layer;
    roll -= weight;
  }
  return "json";
};

/** Builds case `index` of run `seed`; `layer` forces a layer (else drawn from the case's PRNG). */
export const makeCase = (
  fixture: Fixture,
  targets: FuzzTargets,
  seed: number,
  index: number,
  layer?: Layer,
): FuzzCase => {
  const rng = caseRng(seed, index);
  const chosen = layer ?? pickLayer(rng);
  const draft: Draft = {
    rng,
    targets,
    entries: fixture.entries.map((e) => ({ pre: e.pre, header: Buffer.from(e.header), data: e.data })),
    mutations: [],
    finalizers: [],
    backupJson: fixture.backupJson,
    sidecars: new Map(fixture.sidecars),
  };
  let tar: Buffer | undefined;
  const times = () => rng.range(1, 3);
  switch (chosen) {
    case "json":
      for (let n = times(); n > 0; n--) applyOne(draft, JSON_MUTATORS);
      break;
    case "tar":
      for (let n = times(); n > 0; n--) applyOne(draft, TAR_MUTATORS);
      tar = tarBytes(draft);
      break;
    case "store":
      for (let n = times(); n > 0; n--) applyOne(draft, STORE_MUTATORS);
      if (rng.chance(0.3)) applyOne(draft, JSON_MUTATORS);
      break;
    case "gzip":
      break;
    case "combo":
      applyOne(draft, JSON_MUTATORS);
      applyOne(draft, TAR_MUTATORS);
      tar = tarBytes(draft);
      break;
  }
  tar ??= serializeTar(draft.entries);
  let tarGz =
    chosen === "gzip" && rng.chance(0.5) && draft.mutations.length === 0 ? fixture.tarGz : gzip(tar);
  if (chosen === "gzip" || chosen === "combo") {
    for (let n = chosen === "gzip" ? times() : 1; n > 0; n--) {
      const mutator = rng.pick(GZIP_MUTATORS);
      tarGz = mutator.apply(tarGz, tar, rng);
      draft.mutations.push(`gzip:${mutator.name}`);
    }
  }
  return {
    seed,
    index,
    layer: chosen,
    mutations: draft.mutations,
    finalizers: draft.finalizers,
    tarGz,
    backupJson: draft.backupJson,
    sidecars: draft.sidecars,
  };
};

const gzip = (tar: Buffer): Buffer => gzipSync(tar, { level: 1 });

let zeroMember: Buffer | undefined;
/** One gzip member of 1 MiB of zeros (about 1 KiB). */
const zeroMiB = (): Buffer => (zeroMember ??= gzipSync(Buffer.alloc(2 ** 20), { level: 9 }));

interface Mutator {
  readonly name: string;
  /** Returns a detail for the report, or undefined when it did not apply (another is drawn). */
  readonly apply: (draft: Draft) => string | undefined;
}

const applyOne = (draft: Draft, mutators: readonly Mutator[]): void => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const mutator = draft.rng.pick(mutators);
    let detail: string | undefined;
    try {
      detail = mutator.apply(draft);
    } catch {
      // an earlier mutation left something this one cannot handle (e.g. JSON too deep to re-encode)
      detail = undefined;
    }
    if (detail !== undefined) {
      draft.mutations.push(`${mutator.name}${detail ? `(${detail})` : ""}`);
      return;
    }
  }
};

/** The tar of a draft, with a final whole-stream mutation sometimes (truncation, garbage, no end). */
const tarBytes = (draft: Draft): Buffer => {
  const { rng } = draft;
  let tar = serializeTar(draft.entries, !rng.chance(0.05));
  if (rng.chance(0.08)) {
    const cut = rng.int(tar.length);
    tar = tar.subarray(0, cut);
    draft.mutations.push(`tar:truncate(${cut})`);
  } else if (rng.chance(0.05)) {
    tar = Buffer.concat([tar, rng.bytes(rng.range(1, 4096))]);
    draft.mutations.push("tar:trailing-garbage");
  }
  return tar;
};

// ---------------------------------------------------------------------------------------------------
// gzip layer

interface GzipMutator {
  readonly name: string;
  readonly apply: (gz: Buffer, tar: Buffer, rng: Rng) => Buffer;
}

const GZIP_MUTATORS: readonly GzipMutator[] = [
  {
    name: "bit-flips",
    apply: (gz, _tar, rng) => {
      const out = Buffer.from(gz);
      for (let n = rng.range(1, 16); n > 0; n--) {
        const at = rng.int(out.length);
        out[at] = out[at]! ^ (1 << rng.int(8));
      }
      return out;
    },
  },
  {
    name: "byte-run",
    apply: (gz, _tar, rng) => {
      const out = Buffer.from(gz);
      const at = rng.int(out.length);
      rng.bytes(Math.min(rng.range(1, 64), out.length - at)).copy(out, at);
      return out;
    },
  },
  { name: "truncate", apply: (gz, _tar, rng) => gz.subarray(0, rng.int(gz.length)) },
  {
    name: "truncate-trailer",
    apply: (gz, _tar, rng) => gz.subarray(0, gz.length - rng.range(1, 8)),
  },
  {
    name: "append-garbage",
    apply: (gz, _tar, rng) =>
      Buffer.concat([gz, rng.chance(0.3) ? Buffer.alloc(rng.range(1, 2048)) : rng.bytes(rng.range(1, 2048))]),
  },
  {
    name: "append-gzip-magic",
    apply: (gz, _tar, rng) => Buffer.concat([gz, Buffer.from([0x1f, 0x8b, 8, 0]), rng.bytes(rng.int(32))]),
  },
  {
    name: "concat-same-member",
    apply: (gz) => Buffer.concat([gz, gz]),
  },
  {
    name: "split-members",
    apply: (_gz, tar, rng) => {
      const cut = rng.int(tar.length + 1);
      return Buffer.concat([gzip(tar.subarray(0, cut)), gzip(tar.subarray(cut))]);
    },
  },
  {
    name: "member-of-garbage",
    apply: (gz, _tar, rng) => Buffer.concat([gz, gzip(rng.bytes(rng.range(1, 8192)))]),
  },
  {
    name: "header-field",
    apply: (gz, _tar, rng) => {
      const out = Buffer.from(gz);
      const field = rng.int(6);
      if (field === 0)
        out[0] = rng.u32() & 0xff; // magic
      else if (field === 1) out[1] = rng.u32() & 0xff;
      else if (field === 2)
        out[2] = rng.pick([0, 7, 9, 255]); // method
      else if (field === 3)
        out[3] = rng.u32() & 0xff; // flags: FTEXT FHCRC FEXTRA FNAME FCOMMENT, reserved
      else if (field === 4)
        rng.bytes(4).copy(out, 4); // mtime
      else out[9] = rng.u32() & 0xff; // OS
      return out;
    },
  },
  {
    name: "header-extras",
    apply: (gz, _tar, rng) => {
      // FEXTRA with a lying length, FNAME/FCOMMENT without their NUL, FHCRC wrong
      const flags = rng.pick([0x04, 0x08, 0x10, 0x02, 0x1e]);
      const head = Buffer.from(gz.subarray(0, 10));
      head[3] = flags;
      const extras: Buffer[] = [];
      if (flags & 0x04)
        extras.push(Buffer.from([rng.u32() & 0xff, rng.u32() & 0xff]), rng.bytes(rng.int(16)));
      if (flags & 0x08) extras.push(Buffer.from(rng.chance(0.5) ? "name-without-end" : "x\0"));
      if (flags & 0x10) extras.push(Buffer.from(rng.chance(0.5) ? "comment" : "c\0"));
      if (flags & 0x02) extras.push(rng.bytes(2));
      return Buffer.concat([head, ...extras, gz.subarray(10)]);
    },
  },
  {
    name: "trailer-crc-size",
    apply: (gz, _tar, rng) => {
      const out = Buffer.from(gz);
      rng.bytes(rng.range(1, 8)).copy(out, out.length - 8);
      return out;
    },
  },
  {
    name: "bomb",
    apply: (_gz, tar, rng) => {
      // a tar entry declaring tens of MiB of zeros: tiny compressed, huge inflated; built from gzip
      // members of 1 MiB each (a multi-member stream inflates as one) so the case itself stays small
      const mib = rng.pick([9, 30, 63]);
      const header = makeHeader({
        name: "resources/configmaps/namespaces/shop/bomb.json",
        size: mib * 2 ** 20,
      });
      return Buffer.concat([
        gzip(Buffer.concat([tar.subarray(0, BLOCK * 2), header])),
        ...Array(mib).fill(zeroMiB()),
      ]);
    },
  },
  {
    name: "not-gzip",
    apply: (_gz, tar, rng) => (rng.chance(0.5) ? tar : rng.bytes(rng.range(0, 4096))),
  },
];

// ---------------------------------------------------------------------------------------------------
// tar layer

const SAMPLE_ITEM = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } });

const hostilePaths = (targets: FuzzTargets): string[] => [
  "../escape.json",
  "../../escape.json",
  "../../../../../../../../escape.json",
  "resources/../../escape.json",
  "resources/configmaps/namespaces/shop/../../../../../escape.json",
  `${targets.escapeDir}/absolute.json`,
  "/tmp/stowage-fuzz-absolute.json",
  "..\\..\\escape.json",
  "C:/escape.json",
  "./resources/configmaps/namespaces/shop/dot-slash.json",
  "resources//configmaps///namespaces/shop/./double-slash.json",
  "",
  ".",
  "./",
  "resources/configmaps/namespaces/shop/nul\0byte.json",
];

const pickEntry = (draft: Draft): number => draft.rng.int(draft.entries.length);

/** Overwrites a header field, then (mostly) fixes the checksum so the parser looks further. */
const corruptHeader = (draft: Draft, at: number, fill: (header: Buffer) => string): string | undefined => {
  const entry = draft.entries[at];
  if (entry === undefined) return undefined;
  const header = Buffer.from(entry.header);
  const detail = fill(header);
  const fix = draft.rng.chance(0.8);
  if (fix) setChecksum(header);
  draft.entries[at] = { ...entry, header };
  return `${headerPath(entry.header)}: ${detail}${fix ? "" : ", checksum stale"}`;
};

const SIZE_VALUES = (rng: Rng): Array<[string, Buffer]> => {
  const text = (s: string) => Buffer.from(s.padEnd(12, "\0").slice(0, 12), "latin1");
  const base256 = (first: number, fill: number) => {
    const b = Buffer.alloc(12, fill);
    b[0] = first;
    return b;
  };
  return [
    ["0", text("00000000000")],
    ["1", text("00000000001")],
    ["random octal", text(rng.int(0o7777777).toString(8).padStart(11, "0"))],
    ["8 GiB - 1", text("77777777777")],
    ["non-octal digits", text("00000009999")],
    ["letters", text("0000000abcd")],
    ["spaces", text("           ")],
    ["empty", Buffer.alloc(12)],
    ["base-256 huge", base256(0x80, 0xff)],
    [
      "base-256 2^40",
      (() => {
        const b = Buffer.alloc(12);
        b[0] = 0x80;
        b[6] = 1;
        return b;
      })(),
    ],
    ["base-256 negative", base256(0xff, 0xff)],
    ["high bit junk", base256(0xc3, 0x41)],
  ];
};

const TYPEFLAGS = [
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "g",
  "x",
  "L",
  "K",
  "S",
  "V",
  "M",
  "N",
  "D",
  "A",
  "\0",
  "\x7f",
  "\xff",
];

const TAR_MUTATORS: readonly Mutator[] = [
  {
    name: "tar:size",
    apply: (draft) => {
      const [label, bytes] = draft.rng.pick(SIZE_VALUES(draft.rng));
      return corruptHeader(draft, pickEntry(draft), (h) => {
        bytes.copy(h, 124);
        return label;
      });
    },
  },
  {
    name: "tar:typeflag",
    apply: (draft) => {
      const flag = draft.rng.pick(TYPEFLAGS);
      return corruptHeader(draft, pickEntry(draft), (h) => {
        h.write(flag, 156, "latin1");
        return JSON.stringify(flag);
      });
    },
  },
  {
    name: "tar:checksum",
    apply: (draft) => {
      const at = pickEntry(draft);
      const entry = draft.entries[at]!;
      const header = Buffer.from(entry.header);
      const kind = draft.rng.int(3);
      if (kind === 0) header[148 + draft.rng.int(8)] = draft.rng.u32() & 0xff;
      else if (kind === 1) header.fill(0, 148, 156);
      else header[draft.rng.int(BLOCK)] = draft.rng.u32() & 0xff; // any byte, checksum left stale
      draft.entries[at] = { ...entry, header };
      return headerPath(entry.header);
    },
  },
  {
    name: "tar:name",
    apply: (draft) => {
      const { rng } = draft;
      const name = rng.chance(0.7)
        ? Buffer.from(rng.pick(hostilePaths(draft.targets)))
        : rng.chance(0.5)
          ? Buffer.concat([Buffer.from("resources/configmaps/namespaces/shop/"), rng.bytes(40)])
          : Buffer.alloc(100, "a"); // no NUL: runs into the mode field
      return corruptHeader(draft, pickEntry(draft), (h) => {
        h.fill(0, 0, 100);
        name.copy(h, 0, 0, 100);
        return JSON.stringify(name.toString("latin1"));
      });
    },
  },
  {
    name: "tar:prefix",
    apply: (draft) => {
      const prefix = draft.rng.pick([
        "..",
        "/",
        "../..",
        "/etc",
        draft.targets.escapeDir,
        "resources/..",
        "\xff\xfe",
      ]);
      return corruptHeader(draft, pickEntry(draft), (h) => {
        h.fill(0, 345, 500);
        Buffer.from(prefix, "latin1").copy(h, 345, 0, 155);
        return JSON.stringify(prefix);
      });
    },
  },
  {
    name: "tar:magic",
    apply: (draft) => {
      const magic = draft.rng.pick(["ustar  \0", "\0\0\0\0\0\0\0\0", "USTAR\x0000", "ustar\0\0\0"]);
      return corruptHeader(draft, pickEntry(draft), (h) => {
        h.write(magic, 257, "latin1");
        return JSON.stringify(magic);
      });
    },
  },
  {
    name: "tar:numeric-fields",
    apply: (draft) =>
      corruptHeader(draft, pickEntry(draft), (h) => {
        const field = draft.rng.pick([100, 108, 116, 136, 329, 337]);
        draft.rng.bytes(8).copy(h, field);
        return `field@${field}`;
      }),
  },
  {
    name: "tar:pax",
    apply: (draft) => {
      const { rng, targets } = draft;
      const records = rng.pick([
        () => paxRecord("path", rng.pick(hostilePaths(targets)) || "x"),
        () =>
          paxRecord("path", `resources/configmaps/namespaces/shop/${"n".repeat(rng.range(90, 5000))}.json`),
        () => paxRecord("size", rng.pick(["99999999999999", "-1", "abc", "1e9", "", "0", "4294967296"])),
        () => paxRecord("linkpath", "/etc/passwd"),
        () => rng.pick(["99999 path=x\n", "0 \n", "5 a\n", "12 noequals\n", "3 \n", "x path=y\n", "\n\n\n"]),
        () => `${paxRecord("path", "a")}${"9".repeat(rng.range(1, 20))} path=b\n`,
        () => rng.bytes(rng.range(1, 600)).toString("latin1"),
      ])();
      const type = rng.chance(0.8) ? "x" : "g";
      const at = pickEntry(draft);
      const entry = draft.entries[at]!;
      const declared = rng.chance(0.15) ? rng.pick([0, 1, 2 * 1024 * 1024, 1e9]) : undefined;
      draft.entries[at] = {
        ...entry,
        pre: Buffer.concat([entry.pre, longHeader(type, Buffer.from(records, "latin1"), declared)]),
      };
      return `${type} ${JSON.stringify(records.slice(0, 60))}${declared === undefined ? "" : ` declared ${declared}`}`;
    },
  },
  {
    name: "tar:gnu-long",
    apply: (draft) => {
      const { rng, targets } = draft;
      const type = rng.chance(0.7) ? "L" : "K";
      const name = rng.pick([
        rng.pick(hostilePaths(targets)),
        `resources/configmaps/namespaces/shop/${"l".repeat(rng.range(100, 20_000))}.json`,
        "/etc/passwd",
      ]);
      const declared = rng.chance(0.2) ? rng.pick([0, 2 * 1024 * 1024, 64 * 1024 * 1024]) : undefined;
      const at = pickEntry(draft);
      const entry = draft.entries[at]!;
      draft.entries[at] = {
        ...entry,
        pre: Buffer.concat([entry.pre, longHeader(type, `${name}\0`, declared)]),
      };
      return `${type} ${JSON.stringify(name.slice(0, 60))}${declared === undefined ? "" : ` declared ${declared}`}`;
    },
  },
  {
    name: "tar:link",
    apply: (draft) => {
      const { rng, targets } = draft;
      const type = rng.pick(["1", "2"]);
      const name = rng.pick([
        "resources/configmaps/namespaces/shop/shop-settings.json",
        "resources/configmaps/namespaces/shop/linked.json",
        "metadata/version",
        "resources",
      ]);
      const linkname = rng.pick([
        "/etc/passwd",
        "../../../../etc/passwd",
        targets.escapeDir,
        "..",
        `${targets.escapeDir}/link-target`,
      ]);
      const link: TarEntry = {
        pre: Buffer.alloc(0),
        header: makeHeader({ name, size: 0, typeflag: type, linkname }),
        data: Buffer.alloc(0),
      };
      const follow = rng.chance(0.5) ? [fileEntry(`${name}/escape.json`, SAMPLE_ITEM)] : [];
      draft.entries.splice(rng.int(draft.entries.length + 1), 0, link, ...follow);
      return `${type === "1" ? "hardlink" : "symlink"} ${name} -> ${linkname}`;
    },
  },
  {
    name: "tar:special",
    apply: (draft) => {
      const type = draft.rng.pick(["3", "4", "6", "7", "S"]);
      draft.entries.splice(draft.rng.int(draft.entries.length + 1), 0, {
        pre: Buffer.alloc(0),
        header: makeHeader({
          name: "resources/configmaps/namespaces/shop/dev.json",
          size: 0,
          typeflag: type,
        }),
        data: Buffer.alloc(0),
      });
      return JSON.stringify(type);
    },
  },
  {
    name: "tar:directory",
    apply: (draft) => {
      const { rng } = draft;
      const name = rng.pick([
        "resources/",
        "resources/configmaps/namespaces/shop/",
        "./",
        "resources/x/../../",
        "../",
      ]);
      const withData = rng.chance(0.6);
      const data = withData
        ? Buffer.from(rng.chance(0.5) ? SAMPLE_ITEM : rng.bytes(rng.range(1, 3000)))
        : Buffer.alloc(0);
      draft.entries.splice(rng.int(draft.entries.length + 1), 0, {
        pre: Buffer.alloc(0),
        header: makeHeader({ name, size: data.length, typeflag: "5" }),
        data,
      });
      return `${name}${withData ? ` with ${data.length} bytes` : ""}`;
    },
  },
  {
    name: "tar:hostile-file",
    apply: (draft) => {
      const name = draft.rng.pick(hostilePaths(draft.targets));
      draft.entries.splice(draft.rng.int(draft.entries.length + 1), 0, fileEntry(name || "x", SAMPLE_ITEM));
      return JSON.stringify(name);
    },
  },
  {
    name: "tar:huge-declared",
    apply: (draft) => {
      const size = draft.rng.pick([65 * 1024 * 1024, 2 ** 33 - 1, 2 ** 40]);
      const header = makeHeader({ name: "resources/configmaps/namespaces/shop/huge.json", size: 0 });
      if (size > 0o77777777777) {
        header.fill(0, 124, 136);
        header[124] = 0x80;
        let n = size;
        for (let i = 11; i > 0; i--, n = Math.floor(n / 256)) header[124 + i] = n % 256;
        setChecksum(header);
      } else header.write(octal(size, 12), 124, "latin1");
      setChecksum(header);
      draft.entries.splice(draft.rng.int(draft.entries.length + 1), 0, {
        pre: Buffer.alloc(0),
        header,
        data: Buffer.from(SAMPLE_ITEM),
      });
      return String(size);
    },
  },
  {
    name: "tar:duplicate",
    apply: (draft) => {
      const at = pickEntry(draft);
      const entry = draft.entries[at]!;
      const copy = draft.rng.chance(0.5) ? entry : withData(entry, Buffer.from(SAMPLE_ITEM));
      draft.entries.splice(draft.rng.int(draft.entries.length + 1), 0, copy);
      return entryPath(entry);
    },
  },
  {
    name: "tar:drop",
    apply: (draft) => {
      const n = draft.rng.range(1, Math.min(10, draft.entries.length));
      const dropped: string[] = [];
      for (let i = 0; i < n && draft.entries.length > 0; i++) {
        const [entry] = draft.entries.splice(pickEntry(draft), 1);
        dropped.push(entryPath(entry!));
      }
      return dropped.join(", ");
    },
  },
  {
    name: "tar:reorder",
    apply: (draft) => {
      const { rng, entries } = draft;
      if (rng.chance(0.5)) {
        for (let i = entries.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [entries[i], entries[j]] = [entries[j]!, entries[i]!];
        }
        return "shuffle";
      }
      entries.reverse();
      return "reverse";
    },
  },
  {
    name: "tar:body",
    apply: (draft) => {
      const at = pickEntry(draft);
      const entry = draft.entries[at]!;
      if (entry.data.length === 0) return undefined;
      const data = Buffer.from(entry.data);
      for (let n = draft.rng.range(1, 8); n > 0; n--)
        data[draft.rng.int(data.length)] = draft.rng.u32() & 0xff;
      draft.entries[at] = { ...entry, data };
      return entryPath(entry);
    },
  },
  {
    name: "tar:zero-block",
    apply: (draft) => {
      const at = pickEntry(draft);
      const entry = draft.entries[at]!;
      draft.entries[at] = { ...entry, pre: Buffer.concat([Buffer.alloc(BLOCK), entry.pre]) };
      return entryPath(entry);
    },
  },
  {
    name: "tar:many-entries",
    apply: (draft) => {
      const n = draft.rng.pick([500, 3000]);
      const added: TarEntry[] = [];
      for (let i = 0; i < n; i++)
        added.push(fileEntry(`resources/configmaps/namespaces/shop/many-${i}.json`, SAMPLE_ITEM));
      draft.entries.push(...added);
      return String(n);
    },
  },
  {
    name: "tar:version-file",
    apply: (draft) => {
      const at = draft.entries.findIndex((e) => entryPath(e) === "metadata/version");
      const body = draft.rng.pick(["2.0.0\n", "", "1\n", "\xff\xfe\n", "1.1.0".repeat(300), "1.1.0\n\n\n"]);
      const entry = fileEntry("metadata/version", Buffer.from(body, "latin1"));
      if (at === -1) draft.entries.unshift(entry);
      else draft.entries[at] = entry;
      return JSON.stringify(body.slice(0, 20));
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// JSON layer

interface ItemRef {
  /** Index of the classic copy. */
  at: number;
  /** Index of its `-preferredversion` twin, when there is one. */
  twin: number | undefined;
  groupResource: string;
  namespace: string | undefined;
  name: string;
}

const ITEM_PATH = /^resources\/([^/]+)\/(?:namespaces\/([^/]+)|cluster)\/([^/]+)\.json$/;

const itemRefs = (entries: readonly TarEntry[]): ItemRef[] => {
  const refs: ItemRef[] = [];
  const paths = entries.map(entryPath);
  paths.forEach((path, at) => {
    const match = ITEM_PATH.exec(path);
    if (!match) return;
    const [, groupResource = "", namespace, name = ""] = match;
    const twinPath = path.replace(/^(resources\/[^/]+\/)/, "$1v1-preferredversion/");
    const twinIndex = paths.indexOf(twinPath);
    refs.push({ at, twin: twinIndex === -1 ? undefined : twinIndex, groupResource, namespace, name });
  });
  return refs;
};

const classicPath = (groupResource: string, namespace: string | undefined, name: string): string =>
  `resources/${groupResource}/${namespace === undefined ? "cluster" : `namespaces/${namespace}`}/${name}.json`;

/** Replaces an item's bytes (and its twin's, mostly); returns false when the item JSON was not an object. */
const replaceItem = (draft: Draft, ref: ItemRef, data: Buffer): void => {
  draft.entries[ref.at] = withData(draft.entries[ref.at]!, data);
  if (ref.twin !== undefined && draft.rng.chance(0.7))
    draft.entries[ref.twin] = withData(draft.entries[ref.twin]!, data);
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Applies `edit` to a parsed item (an item that is not an object is skipped). */
const editItem = (
  draft: Draft,
  choose: (refs: ItemRef[]) => ItemRef | undefined,
  edit: (item: JsonObject, ref: ItemRef) => string | Buffer | undefined,
): string | undefined => {
  const ref = choose(itemRefs(draft.entries));
  if (ref === undefined) return undefined;
  let item: Json;
  try {
    item = JSON.parse(draft.entries[ref.at]!.data.toString("utf8")) as Json;
  } catch {
    return undefined;
  }
  if (!isObject(item)) return undefined;
  const result = edit(item, ref);
  if (result === undefined) return undefined;
  if (Buffer.isBuffer(result)) {
    replaceItem(draft, ref, result);
    return `${ref.groupResource} ${ref.name}`;
  }
  replaceItem(draft, ref, Buffer.from(JSON.stringify(item)));
  return `${ref.groupResource} ${ref.namespace ?? ""}/${ref.name}: ${result}`;
};

const anyItem = (draft: Draft) => (refs: ItemRef[]) => (refs.length ? draft.rng.pick(refs) : undefined);
const namespacedItem = (draft: Draft) => (refs: ItemRef[]) => {
  const namespaced = refs.filter((r) => r.namespace !== undefined);
  return namespaced.length ? draft.rng.pick(namespaced) : undefined;
};

const metadataOf = (item: JsonObject): JsonObject => {
  if (!isObject(item.metadata)) item.metadata = {};
  return item.metadata as JsonObject;
};

const nested = (depth: number, array: boolean): string =>
  array ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

/** A string literal of raw (invalid) UTF-8 bytes. */
const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xc3],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe, 0xfe],
];

/** Puts `raw` JSON text at `spec.fuzz` (or the end of the object) by text surgery on the item. */
const withRawMember = (item: JsonObject, key: string, raw: string): Buffer => {
  const text = JSON.stringify(item);
  return Buffer.from(`${text.slice(0, -1)}${text.length > 2 ? "," : ""}${JSON.stringify(key)}:${raw}}`);
};

const JSON_MUTATORS: readonly Mutator[] = [
  {
    name: "json:kind",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        item.kind = draft.rng.pick<Json>([
          "ClusterRoleBinding",
          "Namespace",
          "Secret",
          "CustomResourceDefinition",
          "",
          null,
          42,
          {},
          ["Pod"],
        ]);
        return JSON.stringify(item.kind);
      }),
  },
  {
    name: "json:apiVersion",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        item.apiVersion = draft.rng.pick<Json>([
          "v2",
          "rbac.authorization.k8s.io/v1",
          "apps/v1",
          "",
          null,
          "v1/../v1",
          7,
          "apiextensions.k8s.io/v1",
        ]);
        return JSON.stringify(item.apiVersion);
      }),
  },
  {
    name: "json:name",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        metadataOf(item).name = draft.rng.pick<Json>([
          "shop-db",
          "",
          "../evil",
          "a".repeat(300),
          null,
          5,
          "UPPER",
          "x/y",
          ["n"],
          "kube-root-ca.crt",
        ]);
        return JSON.stringify(metadataOf(item).name);
      }),
  },
  {
    name: "json:namespace",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        metadataOf(item).namespace = draft.rng.pick<Json>([
          draft.targets.victimNamespace,
          "kube-system",
          "default",
          "",
          null,
          9,
          {},
        ]);
        return JSON.stringify(metadataOf(item).namespace);
      }),
  },
  {
    name: "json:metadata",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        const value = draft.rng.pick<Json>([null, [], "metadata", 0, true]);
        if (draft.rng.chance(0.2)) delete item.metadata;
        else item.metadata = value;
        return JSON.stringify(item.metadata ?? "deleted");
      }),
  },
  {
    name: "json:whole-item",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) =>
        draft.rng.pick([
          () => Buffer.from("null"),
          () => Buffer.from("[]"),
          () => Buffer.from("[1,2]"),
          () => Buffer.from('"a string"'),
          () => Buffer.from("42"),
          () => Buffer.from("true"),
          () => Buffer.from(""),
          () => Buffer.from("{}"),
          () => Buffer.from("{"),
          () => Buffer.from(JSON.stringify(item).slice(0, -3)),
          () => Buffer.from(`\ufeff${JSON.stringify(item)}`),
          () => Buffer.from(JSON.stringify(item), "utf16le"),
          () => draft.rng.bytes(draft.rng.range(1, 2000)),
          () => Buffer.from(`${JSON.stringify(item)} trailing`),
          () => Buffer.from(`${JSON.stringify(item)}${JSON.stringify(item)}`),
        ])(),
      ),
  },
  {
    name: "json:deep",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        const depth = draft.rng.pick([500, 5000, 50_000, 500_000]);
        const array = draft.rng.chance(0.5);
        const where = draft.rng.pick(["spec", "data", "metadata"]);
        if (where === "metadata") {
          const text = JSON.stringify(item).replace(
            '"metadata":{',
            `"metadata":{"annotations2":${nested(depth, array)},`,
          );
          return Buffer.from(text);
        }
        return withRawMember(item, where, nested(depth, array));
      }),
  },
  {
    name: "json:huge-string",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        const size = draft.rng.pick([64 * 1024, 1024 * 1024, 3 * 1024 * 1024, 9 * 1024 * 1024]);
        const metadata = metadataOf(item);
        const where = draft.rng.int(3);
        if (where === 0)
          metadata.annotations = {
            ...(isObject(metadata.annotations) ? metadata.annotations : {}),
            huge: "x".repeat(size),
          };
        else if (where === 1) metadata.labels = { ["k".repeat(Math.min(size, 70_000))]: "v" };
        else item.data = { huge: "y".repeat(size) };
        return `${size} bytes at ${["annotation", "label key", "data"][where]}`;
      }),
  },
  {
    name: "json:many-keys",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        const n = draft.rng.pick([10_000, 100_000]);
        const labels: JsonObject = {};
        for (let i = 0; i < n; i++) labels[`l${i}`] = "v";
        metadataOf(item).labels = labels;
        return `${n} labels`;
      }),
  },
  {
    name: "json:non-utf8",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        const text = Buffer.from(JSON.stringify(item));
        const quote = text.indexOf('"name":"');
        if (quote === -1) return undefined;
        const at = quote + 8 + draft.rng.int(3);
        const bad = Buffer.from(draft.rng.pick(INVALID_UTF8));
        return Buffer.concat([text.subarray(0, at), bad, text.subarray(at)]);
      }),
  },
  {
    name: "json:numbers",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        const raw = draft.rng.pick([
          "1e400",
          "-1e400",
          "9223372036854775808",
          "-0",
          "1e-400",
          "123456789012345678901234567890",
          "0.1e1",
        ]);
        return withRawMember(item, draft.rng.pick(["spec", "fuzzNumber", "status"]), raw);
      }),
  },
  {
    name: "json:duplicate-keys",
    apply: (draft) =>
      editItem(draft, namespacedItem(draft), (item) => {
        const text = JSON.stringify(item);
        const evil = JSON.stringify({ name: "evil", namespace: draft.targets.victimNamespace });
        return Buffer.from(
          draft.rng.chance(0.5)
            ? `{"metadata":${evil},${text.slice(1)}`
            : `${text.slice(0, -1)},"metadata":${evil}}`,
        );
      }),
  },
  {
    name: "json:ownerReferences",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        metadataOf(item).ownerReferences = draft.rng.pick<Json>([
          [
            {
              apiVersion: "v1",
              kind: "Namespace",
              name: draft.targets.victimNamespace,
              uid: "0c5e1f2a-0000-4000-8000-000000000001",
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
          [{ apiVersion: "v1", kind: "ConfigMap", name: "shop-settings", uid: "not-a-uid" }],
          [null],
          "owner",
          [{}],
          [{ kind: 5, name: [] }],
        ]);
        return JSON.stringify(metadataOf(item).ownerReferences).slice(0, 80);
      }),
  },
  {
    name: "json:finalizers",
    apply: (draft) =>
      editItem(draft, namespacedItem(draft), (item, ref) => {
        const value = draft.rng.pick<Json>([
          [FUZZ_FINALIZER],
          ["kubernetes"],
          [1, 2],
          "finalizer",
          [null],
          ["foregroundDeletion"],
        ]);
        metadataOf(item).finalizers = value;
        draft.finalizers.push({ groupResource: ref.groupResource, name: ref.name });
        return JSON.stringify(value);
      }),
  },
  {
    name: "json:labels",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        metadataOf(item).labels = draft.rng.pick<Json>([
          { "velero.io/restore-name": "someone-else" },
          { "velero.io/backup-name": null },
          { "bad key!": "v" },
          { k: 5 },
          [],
          "labels",
        ]);
        return JSON.stringify(metadataOf(item).labels);
      }),
  },
  {
    name: "json:spec",
    apply: (draft) =>
      editItem(draft, anyItem(draft), (item) => {
        item[draft.rng.pick(["spec", "status", "data", "rules", "subjects", "roleRef"])] =
          draft.rng.pick<Json>([null, "x", 0, [], [null], { "": "" }, [[[]]]]);
        return "";
      }),
  },
  {
    name: "json:to-cluster-path",
    apply: (draft) => {
      const ref = namespacedItem(draft)(itemRefs(draft.entries));
      if (ref === undefined) return undefined;
      const path = classicPath(ref.groupResource, undefined, ref.name);
      const entry = fileEntry(path, draft.entries[ref.at]!.data);
      if (draft.rng.chance(0.5)) draft.entries[ref.at] = entry;
      else draft.entries.push(entry);
      return path;
    },
  },
  {
    name: "json:to-namespace-path",
    apply: (draft) => {
      const refs = itemRefs(draft.entries);
      const ref =
        refs.find((r) => r.namespace === undefined) ?? (refs.length ? draft.rng.pick(refs) : undefined);
      if (ref === undefined) return undefined;
      const ns = draft.rng.pick([FUZZ_SOURCE_NAMESPACE, draft.targets.victimNamespace]);
      const path = classicPath(ref.groupResource, ns, ref.name);
      draft.entries.push(fileEntry(path, draft.entries[ref.at]!.data));
      return path;
    },
  },
  {
    name: "json:to-victim-namespace",
    apply: (draft) =>
      (() => {
        const ref = namespacedItem(draft)(itemRefs(draft.entries));
        if (ref === undefined) return undefined;
        const victim = draft.targets.victimNamespace;
        let data = draft.entries[ref.at]!.data;
        if (draft.rng.chance(0.5)) {
          try {
            const item = JSON.parse(data.toString("utf8")) as JsonObject;
            metadataOf(item).namespace = victim;
            data = Buffer.from(JSON.stringify(item));
          } catch {
            // keep the bytes
          }
        }
        const path = classicPath(ref.groupResource, victim, ref.name);
        draft.entries.push(fileEntry(path, data));
        return path;
      })(),
  },
  {
    name: "json:rename-resource-dir",
    apply: (draft) => {
      const ref = namespacedItem(draft)(itemRefs(draft.entries));
      if (ref === undefined) return undefined;
      const to = draft.rng.pick([
        "secrets",
        "foos.example.com",
        "ConfigMap",
        "configmaps.v1",
        "pods.",
        ".apps",
        "clusterroles.rbac.authorization.k8s.io",
        "namespaces",
      ]);
      const path = classicPath(to, ref.namespace, ref.name);
      draft.entries[ref.at] = fileEntry(path, draft.entries[ref.at]!.data);
      return `${ref.groupResource} -> ${to}`;
    },
  },
  {
    name: "json:cluster-item-in-namespace",
    apply: (draft) => {
      const { rng, targets } = draft;
      const victim = targets.victimNamespace;
      const name = `fuzz-${rng.pick(["crb", "cr", "ns", "pv", "webhook", "crd"])}`;
      const make = rng.pick<() => [string, JsonObject]>([
        () => [
          "clusterrolebindings.rbac.authorization.k8s.io",
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name, namespace: FUZZ_SOURCE_NAMESPACE },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [{ kind: "ServiceAccount", name: "shop-api", namespace: FUZZ_SOURCE_NAMESPACE }],
          },
        ],
        () => [
          "clusterroles.rbac.authorization.k8s.io",
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name },
            rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }],
          },
        ],
        () => [
          "namespaces",
          { apiVersion: "v1", kind: "Namespace", metadata: { name: victim, labels: { pwned: "yes" } } },
        ],
        () => [
          "persistentvolumes",
          {
            apiVersion: "v1",
            kind: "PersistentVolume",
            metadata: { name },
            spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/" } },
          },
        ],
        () => [
          "validatingwebhookconfigurations.admissionregistration.k8s.io",
          {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name },
            webhooks: [],
          },
        ],
        () => [
          "rolebindings.rbac.authorization.k8s.io",
          {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name, namespace: victim },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
            subjects: [{ kind: "ServiceAccount", name: "default", namespace: FUZZ_SOURCE_NAMESPACE }],
          },
        ],
      ]);
      const [groupResource, object] = make();
      const objectName = (object.metadata as JsonObject).name as string;
      const ns = rng.pick([FUZZ_SOURCE_NAMESPACE, FUZZ_SOURCE_NAMESPACE, victim, undefined]);
      const path = classicPath(groupResource, ns, objectName);
      draft.entries.push(fileEntry(path, JSON.stringify(object)));
      if (rng.chance(0.5))
        draft.entries.push(
          fileEntry(path.replace(/^(resources\/[^/]+\/)/, "$1v1-preferredversion/"), JSON.stringify(object)),
        );
      return path;
    },
  },
  {
    name: "json:namespace-item",
    apply: (draft) =>
      editItem(
        draft,
        (refs) => refs.find((r) => r.groupResource === "namespaces"),
        (item) => {
          const metadata = metadataOf(item);
          const kind = draft.rng.int(4);
          if (kind === 0) metadata.name = draft.targets.victimNamespace;
          else if (kind === 1) metadata.finalizers = [FUZZ_FINALIZER];
          else if (kind === 2) item.spec = { finalizers: ["kubernetes", FUZZ_FINALIZER] };
          else metadata.labels = { "pod-security.kubernetes.io/enforce": "garbage" };
          return ["name→victim", "finalizers", "spec.finalizers", "labels"][kind];
        },
      ),
  },
];

// ---------------------------------------------------------------------------------------------------
// Store layer: the backup's other files

const STORE_MUTATORS: readonly Mutator[] = [
  {
    name: "store:velero-backup.json",
    apply: (draft) => {
      const { rng } = draft;
      const text = draft.backupJson.toString("utf8");
      let parsed: Json;
      try {
        parsed = JSON.parse(text) as Json;
      } catch {
        return undefined;
      }
      if (!isObject(parsed)) return undefined;
      const backup = parsed;
      if (!isObject(backup.status)) backup.status = {};
      if (!isObject(backup.spec)) backup.spec = {};
      const status = backup.status as JsonObject;
      const spec = backup.spec as JsonObject;
      /** Sets `target[key]` to one of `values`; the edited object is then written back. */
      const set = (target: JsonObject, key: string, values: Json[]) => (): undefined => {
        target[key] = rng.pick(values);
        return undefined;
      };
      const edits: Array<[string, () => Buffer | undefined]> = [
        ["truncated", () => Buffer.from(text.slice(0, rng.int(text.length)))],
        ["null", () => Buffer.from("null")],
        ["array", () => Buffer.from("[]")],
        ["garbage", () => rng.bytes(rng.range(0, 500))],
        ["phase", set(status, "phase", ["InProgress", "Failed", "", null, 7, "Deleting"])],
        ["status", set(backup, "status", [null, "done", []])],
        ["formatVersion", set(status, "formatVersion", ["2.0.0", "1", "", null, 1.1, "1.1.0\n"])],
        ["metadata.name", set(metadataOf(backup), "name", ["other", "", null, 3, "../x"])],
        ["metadata", set(backup, "metadata", [null, [], "m"])],
        ["spec.includedNamespaces", set(spec, "includedNamespaces", [["kube-system"], null, "shop", [1]])],
        ["spec", set(backup, "spec", [null, [], 0])],
        ["kind", set(backup, "kind", ["Restore", null, 1])],
        [
          "deep",
          () =>
            Buffer.from(text.replace('"spec": {', `"spec": {"deep":${nested(100_000, rng.chance(0.5))},`)),
        ],
        [
          "non-utf8",
          () =>
            Buffer.concat([
              Buffer.from(text.slice(0, 20)),
              Buffer.from([0xff, 0xfe]),
              Buffer.from(text.slice(20)),
            ]),
        ],
        ["timestamps", set(status, "startTimestamp", ["not a time", 0, null, "9999-99-99T99:99:99Z"])],
        ["hooks", set(spec, "hooks", [{ resources: [null] }, "hooks", { resources: [{ name: 1 }] }])],
      ];
      const [label, edit] = rng.pick(edits);
      draft.backupJson = edit() ?? Buffer.from(JSON.stringify(backup, null, 2));
      return label;
    },
  },
  {
    name: "store:sidecar",
    apply: (draft) => {
      const { rng } = draft;
      const file = rng.pick([...draft.sidecars.keys()]);
      const podName = "shop-db-0";
      const bodies: Array<[string, () => Buffer | undefined]> = [
        ["removed", () => undefined],
        ["not gzip", () => rng.bytes(rng.range(0, 300))],
        [
          "truncated gzip",
          () => draft.sidecars.get(file)!.subarray(0, rng.int(draft.sidecars.get(file)!.length)),
        ],
        ["gzip null", () => gzip(Buffer.from("null"))],
        ["gzip object", () => gzip(Buffer.from("{}"))],
        ["gzip [null]", () => gzip(Buffer.from("[null]"))],
        ['gzip [1,"x",[]]', () => gzip(Buffer.from('[1,"x",[]]'))],
        ["gzip garbage", () => gzip(rng.bytes(200))],
        ["gzip deep", () => gzip(Buffer.from(nested(200_000, true)))],
        [
          "gzip odd records",
          () =>
            gzip(
              Buffer.from(
                JSON.stringify([
                  {
                    spec: { pod: { namespace: FUZZ_SOURCE_NAMESPACE, name: podName }, volume: 5 },
                    status: { phase: "Completed", snapshotID: {} },
                  },
                  { spec: null, status: null },
                  { spec: { persistentVolumeName: null, providerVolumeID: 1 }, status: { phase: null } },
                  { metadata: { name: null }, spec: { pod: null } },
                  { pvName: 1, backupMethod: {}, snapshotDataMovementInfo: null },
                ]),
              ),
            ),
        ],
      ];
      const [label, body] = rng.pick(bodies);
      const bytes = body();
      if (bytes === undefined) draft.sidecars.delete(file);
      else draft.sidecars.set(file, bytes);
      return `${file.slice(FUZZ_BACKUP.length + 1)}: ${label}`;
    },
  },
];
