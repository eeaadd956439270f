/**
 * The restores of one store. Velero keeps a restore's log, results, resource list and volume info under
 * `restores/<r>/` but no Restore object; Stowage adds its record `restore-<r>.json`, written last and
 * deleted first, so a restore with a record is complete. Restores Velero wrote have no record: they
 * are not listed, but their files (the log) can still be read.
 */
import type { Readable } from "node:stream";
import { StoreError, ValidationError } from "../errors.ts";
import { type ClaimingRun, type ClaimTarget, claimName, discardClaimed } from "./claims.ts";
import { encodeJsonGz, encodeRestoreRecord } from "./codec.ts";
import { deleteDirectory, gzippedFiles, putDirectory } from "./directory.ts";
import { type RestoreKeys, restoreKeys, restoreNameFromPrefix, restoresPrefix } from "./layout.ts";
import { getBuffer, type ObjectStore } from "./object-store.ts";
import type { ResourceList, Results } from "./types.ts";

/** A restore record as written to `restores/<r>/restore-<r>.json` (Velero's Restore object shape). */
export interface RestoreRecord {
  readonly kind: "Restore";
  readonly apiVersion: "velero.io/v1";
  readonly metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
  };
  readonly spec: Record<string, unknown> & { backupName?: string };
  readonly status: {
    phase?: string;
    startTimestamp?: string;
    completionTimestamp?: string;
    warnings?: number;
    errors?: number;
    progress?: { totalItems?: number; itemsRestored?: number };
    /** Post-restore exec hooks (Velero's HookStatus); absent in records written before hooks existed. */
    hookStatus?: { hooksAttempted?: number; hooksFailed?: number };
  };
}

/** Gzipped-JSON files of a restore, by their {@link RestoreKeys} name. */
export type RestoreJsonFile = Exclude<keyof RestoreKeys, "dir" | "logs" | "record" | "claim">;

/** The files {@link RestoreCatalog.putRestore} writes before the record, as values (encoded there). */
export interface RestoreFiles {
  /** `restore-<r>-logs.gz`: the log, already gzipped (a run log's `finish()`). */
  readonly logs: Buffer;
  /** `restore-<r>-results.gz` */
  readonly results: Results;
  /** `restore-<r>-resource-list.json.gz` */
  readonly resourceList: ResourceList;
  /** `restore-<r>-itemoperations.json.gz` */
  readonly itemOperations: unknown;
  /** `<r>-volumeinfo.json.gz` */
  readonly volumeInfo: unknown;
}

/** Read, write and delete access to the restores of one store. */
export interface RestoreCatalog {
  /** Names of every `restores/<r>/` directory (Velero's restores without a record included), ascending. */
  restoreNames(): Promise<string[]>;
  /** True when restore `name` has its record `restore-<r>.json` (Stowage wrote it and it completed). */
  restoreExists(name: string): Promise<boolean>;
  /** The parsed record `restore-<r>.json`; `ERR_NOT_FOUND` when the restore has none. */
  getRestoreRecord(name: string): Promise<RestoreRecord>;
  /** `restore-<r>-results.gz`; `ERR_NOT_FOUND` when absent. */
  getRestoreResults(name: string): Promise<Results | null>;
  /** Any gzipped-JSON file of the restore (`resourceList`, `itemOperations`, `volumeInfo`, `results`). */
  getRestoreJson<T = unknown>(name: string, file: RestoreJsonFile): Promise<T | null>;
  /** The restore log, gunzipped, as a stream of text; `ERR_NOT_FOUND` when there is no log. */
  getRestoreLogs(name: string): Promise<Readable>;
  /** The whole restore log as text (use {@link getRestoreLogs} for huge ones). */
  getRestoreLogText(name: string): Promise<string>;
  /**
   * Completes restore `name`: writes every file of `files` in parallel, then the record, last, so a
   * listed restore has all its files.
   */
  putRestore(name: string, files: RestoreFiles, record: RestoreRecord): Promise<void>;
  /**
   * Claims restore name `name` for `run` before it writes anything: creates
   * `restore-<r>-stowage-claim.json` unless it exists. Of two runs with one name started at once exactly
   * one succeeds; the other gets StoreError `ERR_ALREADY_EXISTS` naming the store, having written and
   * deleted nothing. The claim stays once the restore is recorded; deleting the restore removes it.
   */
  claimRestore(name: string, run: ClaimingRun): Promise<void>;
  /**
   * Removes every file of restore `name` except its record, then its claim, last — only when the claim
   * is `run`'s own (nothing otherwise). What a run that failed before recording itself calls; failures
   * are ignored.
   */
  discardRestoreFiles(name: string, run: ClaimingRun): Promise<void>;
  /**
   * Deletes every key under `restores/<r>/`, the record first (so it stops being listed at once). Returns
   * the keys deleted; empty when the restore did not exist. The cluster is not touched.
   */
  deleteRestoreKeys(name: string): Promise<{ deleted: string[] }>;
}

/** The restores of `store`, `concurrency` deletions at a time. */
export const openRestoreCatalog = (store: ObjectStore, concurrency: number): RestoreCatalog => {
  const claimTarget = (name: string): ClaimTarget => {
    const keys = restoreKeys(name);
    return { kind: "restore", name, claim: keys.claim, marker: keys.record };
  };
  const gzipped = gzippedFiles(store);
  const readJson = <T>(name: string, file: RestoreJsonFile): Promise<T | null> =>
    gzipped.json<T>(restoreKeys(name)[file]);

  return {
    async restoreNames() {
      const prefixes = await store.listCommonPrefixes(restoresPrefix, "/");
      return prefixes.map(restoreNameFromPrefix).filter((n): n is string => n !== undefined);
    },

    restoreExists: async (name) => store.exists(restoreKeys(name).record),

    async getRestoreRecord(name) {
      let raw: Buffer;
      try {
        raw = await getBuffer(store, restoreKeys(name).record);
      } catch (error) {
        if (!(error instanceof StoreError && error.code === "ERR_NOT_FOUND")) throw error;
        throw new StoreError(
          `restore "${name}" does not exist in ${store.location}: list the restores (listRestores) to see what exists`,
          { code: "ERR_NOT_FOUND", cause: error },
        );
      }
      return JSON.parse(raw.toString("utf8")) as RestoreRecord;
    },

    getRestoreResults: async (name) => readJson<Results>(name, "results"),
    getRestoreJson: async (name, file) => readJson(name, file),

    getRestoreLogs: async (name) => gzipped.textStream(restoreKeys(name).logs),
    getRestoreLogText: async (name) => gzipped.text(restoreKeys(name).logs),

    async putRestore(name, files, record) {
      const keys = restoreKeys(name);
      if (record.metadata.name !== name) {
        throw new ValidationError(
          [
            `metadata.name must be "${name}", the restore being written, got ${JSON.stringify(record.metadata.name)}`,
          ],
          `putRestore("${name}") record`,
        );
      }
      await putDirectory(
        store,
        [
          [keys.logs, files.logs],
          [keys.results, encodeJsonGz(files.results)],
          [keys.resourceList, encodeJsonGz(files.resourceList)],
          [keys.itemOperations, encodeJsonGz(files.itemOperations)],
          [keys.volumeInfo, encodeJsonGz(files.volumeInfo)],
        ],
        () => store.put(keys.record, encodeRestoreRecord(record)),
      );
    },

    claimRestore: async (name, run) => claimName(store, claimTarget(name), run),

    async discardRestoreFiles(name, run) {
      const { dir: _dir, record: _record, claim: _claim, ...files } = restoreKeys(name);
      await discardClaimed(store, claimTarget(name), run, Object.values(files));
    },

    async deleteRestoreKeys(name) {
      const keys = restoreKeys(name);
      return deleteDirectory(store, keys.dir, keys.record, concurrency);
    },
  };
};
