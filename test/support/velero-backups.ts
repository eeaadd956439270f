/**
 * Velero backups made by hand for the restore tests, independently of lib/format and lib/store: tarballs
 * built with plain tar-stream + zlib following velero-format.md §1, `velero-backup.json` written with
 * the shape of the Velero 1.18.3 fixtures, and writable copies of those fixtures.
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { fsStore, type KubeObject, type ObjectStore } from "../../lib/index.ts";
import { collect, FIXTURES, readTarGz } from "../format/support.ts";
import { onCleanup } from "./cleanup.ts";

/** Go's `json.Marshal` of an unstructured object: compact, map keys sorted, no trailing newline. */
export const goJson = (value: unknown): string => {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
};

/** One object to put in a hand-made archive. */
export interface ArchiveItem {
  /** `GroupResource.String()`: `configmaps`, `deployments.apps`. */
  readonly groupResource: string;
  /** API version directory of the preferred-version copy, e.g. `v1`. */
  readonly version: string;
  readonly object: KubeObject;
}

/**
 * The archive layouts Velero has written: `1.1.0` (v1.4+: version file, classic + `<v>-preferredversion/`
 * copies), `1` (v0.11–v1.3: version file, classic copies only), `none` (before v0.11: classic only).
 */
export type ArchiveLayout = "1.1.0" | "1" | "none";

/** The tar paths Velero writes for one item in `layout`, classic copy first. */
export const itemTarPaths = (item: ArchiveItem, layout: ArchiveLayout): string[] => {
  const name = item.object.metadata?.name ?? "";
  const ns = item.object.metadata?.namespace;
  const scoped = ns ? `namespaces/${ns}/${name}.json` : `cluster/${name}.json`;
  const classic = `resources/${item.groupResource}/${scoped}`;
  return layout === "1.1.0"
    ? [classic, `resources/${item.groupResource}/${item.version}-preferredversion/${scoped}`]
    : [classic];
};

/**
 * A gzip'd Velero backup tarball: regular files only, mode 0755, no uname/gname, `metadata/version`
 * first (unless `none`), each item as compact sorted JSON.
 */
export const buildVeleroTarball = async (
  items: readonly ArchiveItem[],
  layout: ArchiveLayout,
): Promise<Buffer> => {
  const pack = tar.pack();
  const mtime = new Date("2026-11-22T03:31:13Z");
  const add = (name: string, body: string) =>
    pack.entry(
      { name, type: "file", mode: 0o755, mtime, uid: 0, gid: 0, size: Buffer.byteLength(body) },
      body,
    );
  if (layout !== "none") add("metadata/version", `${layout}\n`);
  for (const item of items) {
    const body = goJson(item.object);
    for (const path of itemTarPaths(item, layout)) add(path, body);
  }
  pack.finalize();
  return gzipSync(await collect(pack as unknown as AsyncIterable<Uint8Array>));
};

/** `velero-backup.json` as Velero 1.18 writes it (pretty, `kind` first), for a finished backup. */
export const veleroBackupJson = (
  name: string,
  options: {
    /** `status.formatVersion`; omitted for backups older than Velero 1.4. */
    readonly formatVersion?: string;
    /** `status.version` (1 since Velero 0.11); omitted for older backups. */
    readonly version?: number;
    readonly phase?: string;
    readonly totalItems: number;
    readonly includedNamespaces?: readonly string[];
  },
): string => {
  const started = "2026-11-22T03:31:13Z";
  const backup = {
    kind: "Backup",
    apiVersion: "velero.io/v1",
    metadata: {
      name,
      namespace: "velero",
      uid: "4c427cda-1af5-4468-bb56-e0c2d36dd23c",
      resourceVersion: "51401",
      generation: 7,
      creationTimestamp: started,
      labels: { "velero.io/storage-location": "default" },
      annotations: {
        "velero.io/resource-timeout": "10m0s",
        "velero.io/source-cluster-k8s-gitversion": "v1.35.4",
        "velero.io/source-cluster-k8s-major-version": "1",
        "velero.io/source-cluster-k8s-minor-version": "35",
      },
    },
    spec: {
      metadata: {},
      includedNamespaces: [...(options.includedNamespaces ?? ["*"])],
      ttl: "720h0m0s",
      hooks: {},
      storageLocation: "default",
      defaultVolumesToFsBackup: false,
      csiSnapshotTimeout: "10m0s",
      itemOperationTimeout: "4h0m0s",
      snapshotMoveData: false,
    },
    status: {
      ...(options.version === undefined ? {} : { version: options.version }),
      ...(options.formatVersion === undefined ? {} : { formatVersion: options.formatVersion }),
      expiration: "2026-12-22T03:31:13Z",
      phase: options.phase ?? "Completed",
      startTimestamp: started,
      completionTimestamp: started,
      progress: { totalItems: options.totalItems, itemsBackedUp: options.totalItems },
      hookStatus: {},
    },
  };
  return JSON.stringify(backup, null, 2);
};

/** Writes `backups/<name>/velero-backup.json` and `backups/<name>/<name>.tar.gz` under a store root. */
export const writeVeleroBackup = (root: string, name: string, tarball: Buffer, backupJson: string): void => {
  const dir = join(root, "backups", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "velero-backup.json"), backupJson);
  writeFileSync(join(dir, `${name}.tar.gz`), tarball);
};

/** A writable copy of the Velero 1.18.3 fixtures (they are read-only), removed after the test file. */
export const copyOfFixtures = (): { dir: string; store: ObjectStore } => {
  const dir = mkdtempSync(join(tmpdir(), "stowage-restore-fixtures-"));
  cpSync(FIXTURES, join(dir, "backups"), { recursive: true });
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, store: fsStore(dir, { fsync: false }) };
};

/** A backed-up item as read from a fixture tarball (classic copy). */
export interface FixtureItem {
  readonly groupResource: string;
  readonly namespace?: string;
  readonly name: string;
  readonly object: KubeObject;
}

/** Every item of a fixture backup (classic copies), read with plain tar-stream, not lib/format. */
export const fixtureItems = async (gz: Buffer): Promise<FixtureItem[]> => {
  const out: FixtureItem[] = [];
  for (const { header, data } of await readTarGz(gz)) {
    const parts = header.name.split("/");
    if (parts[0] !== "resources" || parts.length < 4) continue;
    const [, groupResource = "", scope, a = "", b] = parts;
    if (scope === "cluster" && parts.length === 4) {
      out.push({ groupResource, name: a.replace(/\.json$/, ""), object: JSON.parse(data.toString("utf8")) });
    } else if (scope === "namespaces" && parts.length === 5 && b !== undefined) {
      out.push({
        groupResource,
        namespace: a,
        name: b.replace(/\.json$/, ""),
        object: JSON.parse(data.toString("utf8")),
      });
    }
  }
  return out;
};
