/**
 * `stowage.dev/local`: the built-in snapshotter for volumes that are directories on this machine
 * (`hostPath` and `local` PVs), in the spirit of the seeds' example block store. The volume ID is the
 * directory's absolute path; a snapshot is a full copy of it.
 *
 * Layout under the location's `path`:
 * - `snapshots/<id>/data/…` the copied files, `snapshots/<id>/snapshot.json` volume, tags and sizes;
 *   a snapshot is copied into `snapshots/.partial-<id>` and renamed when complete, so a listed snapshot
 *   is always whole;
 * - volumes made from snapshots go to `volumesPath` (default `<path>/volumes`) as `restore-<uuid>`.
 */
import { randomUUID } from "node:crypto";
import { constants, type Stats } from "node:fs";
import {
  access,
  chmod,
  copyFile,
  lstat,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { AbortError, ConfigError } from "../../errors.ts";
import type { KubeObject } from "../../kube/types.ts";
import { checkConfigKeys, messageOf, SnapshotError } from "../errors.ts";
import { sourceField, volumeSource, withSourceFields } from "../pv.ts";
import type { OperationOptions, VolumeSnapshotter } from "../types.ts";
import { DEFAULT_OPERATION_TIMEOUT_MS, formatWait } from "../wait.ts";

const NAME = "stowage.dev/local";
const SOURCES = ["hostPath", "local"] as const;
const SNAPSHOT_ID = /^snap-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Config keys of the `local` snapshotter. */
export const LOCAL_SNAPSHOT_KEYS = ["path", "volumesPath"];

interface Entry {
  readonly relative: string;
  readonly stats: Stats;
}

/** Every entry under `root` (directories before their contents), with the total size of regular files. */
const walk = async (root: string): Promise<{ entries: Entry[]; bytes: number }> => {
  const entries: Entry[] = [];
  let bytes = 0;
  const visit = async (relative: string) => {
    for (const name of (await readdir(join(root, relative))).sort()) {
      const child = relative ? `${relative}/${name}` : name;
      const stats = await lstat(join(root, child));
      entries.push({ relative: child, stats });
      if (stats.isDirectory()) await visit(child);
      else if (stats.isFile()) bytes += stats.size;
    }
  };
  await visit("");
  return { entries, bytes };
};

/** Copies directory `from` into a new directory `to`, reporting progress and honouring timeout and signal. */
const copyTree = async (subject: string, from: string, to: string, options: OperationOptions) => {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS;
  const { entries, bytes } = await walk(from);
  await mkdir(to, { recursive: true, mode: (await stat(from)).mode & 0o7777 });
  let copied = 0;
  for (const { relative, stats } of entries) {
    if (options.signal?.aborted) throw new AbortError(`${subject} was cancelled`);
    if (Date.now() - started > timeoutMs) {
      throw new SnapshotError(
        `${subject} did not complete within ${formatWait(timeoutMs)} (${copied} of ${bytes} bytes copied): raise the timeout (snapshotTimeoutMs)`,
      );
    }
    const source = join(from, relative);
    const target = join(to, relative);
    if (stats.isDirectory()) await mkdir(target, { mode: stats.mode & 0o7777 });
    else if (stats.isSymbolicLink()) await symlink(await readlink(source), target);
    else if (stats.isFile()) {
      await copyFile(source, target, constants.COPYFILE_EXCL);
      await chmod(target, stats.mode & 0o7777);
      copied += stats.size;
      const percent = bytes === 0 ? 100 : Math.floor((copied / bytes) * 100);
      options.onProgress?.({
        subject,
        state: `${copied}/${bytes} bytes copied`,
        percent,
        elapsedMs: Date.now() - started,
      });
    }
    // sockets, FIFOs and devices are not data: they are left out
  }
  return { bytes, files: entries.filter((e) => e.stats.isFile()).length };
};

/**
 * Runs `make`, which writes directory `target`; when it fails, removes `target` so nothing half-made is
 * left, and throws its SnapshotError or AbortError as it is, anything else as a SnapshotError saying
 * `what` failed.
 */
const orDiscard = async (target: string, what: string, make: () => Promise<unknown>): Promise<void> => {
  try {
    await make();
  } catch (error) {
    await rm(target, { recursive: true, force: true });
    if (error instanceof SnapshotError || error instanceof AbortError) throw error;
    throw new SnapshotError(`${NAME}: ${what} failed: ${messageOf(error)}`, { cause: error });
  }
};

/** A fresh `stowage.dev/local` snapshotter. */
export const createLocalSnapshotter = (): VolumeSnapshotter => {
  let root = "";
  let volumesRoot = "";
  const snapshotsDir = () => {
    if (!root) throw new ConfigError(`${NAME}: init(config) must be called before the snapshotter is used`);
    return join(root, "snapshots");
  };
  const snapshotDir = (snapshotId: string) => {
    if (!SNAPSHOT_ID.test(snapshotId)) {
      throw new SnapshotError(`${NAME}: "${snapshotId}" is not a local snapshot ID (expected snap-<uuid>)`);
    }
    return join(snapshotsDir(), snapshotId);
  };
  const directory = async (path: string, what: string) => {
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      throw new SnapshotError(`${NAME}: ${what} ${path} cannot be read: ${messageOf(error)}`, {
        cause: error,
      });
    }
    if (!stats.isDirectory()) throw new SnapshotError(`${NAME}: ${what} ${path} is not a directory`);
  };

  return {
    validKeys: LOCAL_SNAPSHOT_KEYS,

    async init(config) {
      checkConfigKeys(NAME, config, LOCAL_SNAPSHOT_KEYS);
      if (!config.path) {
        throw new ConfigError(
          `${NAME}: missing path: set config.path to the directory that keeps the snapshots`,
        );
      }
      root = resolve(config.path);
      volumesRoot = resolve(config.volumesPath || join(root, "volumes"));
      for (const dir of [join(root, "snapshots"), volumesRoot]) {
        try {
          await mkdir(dir, { recursive: true });
          await access(dir, constants.W_OK);
        } catch (error) {
          throw new ConfigError(
            `${NAME}: ${dir} cannot be created or written (${messageOf(error)}): check config.path / config.volumesPath and their permissions`,
            { cause: error },
          );
        }
      }
    },

    getVolumeId(pv) {
      for (const source of SOURCES) {
        if (!volumeSource(pv, source)) continue;
        const path = sourceField(pv, source, "path");
        if (!path)
          throw new SnapshotError(`${NAME}: spec.${source}.path not found in PV ${pv.metadata?.name}`);
        return isAbsolute(path) ? path : "";
      }
      return "";
    },

    setVolumeId(pv: KubeObject, volumeId: string) {
      for (const source of SOURCES) {
        if (volumeSource(pv, source)) return withSourceFields(pv, source, { path: volumeId });
      }
      throw new SnapshotError(`${NAME}: spec.hostPath and spec.local not found in PV ${pv.metadata?.name}`);
    },

    async getVolumeInfo(volumeId) {
      await directory(volumeId, "volume");
      return { type: "directory" };
    },

    async createSnapshot(volumeId, volumeAZ, tags, options = {}) {
      await directory(volumeId, "volume");
      const snapshotId = `snap-${randomUUID()}`;
      await options.onCreated?.(snapshotId);
      const partial = join(snapshotsDir(), `.partial-${snapshotId}`);
      await orDiscard(partial, `snapshot of ${volumeId}`, async () => {
        const { bytes, files } = await copyTree(
          `snapshot ${snapshotId} of ${volumeId}`,
          volumeId,
          join(partial, "data"),
          options,
        );
        const meta = { volumeId, volumeAZ, tags, bytes, files, created: new Date().toISOString() };
        await writeFile(join(partial, "snapshot.json"), `${JSON.stringify(meta, null, 2)}\n`);
        await rename(partial, snapshotDir(snapshotId));
      });
      return snapshotId;
    },

    async createVolumeFromSnapshot(snapshotId, _type, _az, _iops, options = {}) {
      const data = join(snapshotDir(snapshotId), "data");
      await directory(data, `snapshot ${snapshotId}:`);
      const volumeId = join(volumesRoot, `restore-${randomUUID()}`);
      await orDiscard(volumeId, `volume from ${snapshotId}`, () =>
        copyTree(`volume ${volumeId} from ${snapshotId}`, data, volumeId, options),
      );
      return volumeId;
    },

    async deleteSnapshot(snapshotId) {
      await rm(snapshotDir(snapshotId), { recursive: true, force: true });
    },
  };
};

/** The factory registered as `stowage.dev/local`. */
export const localVolumeSnapshotter = () => createLocalSnapshotter;
