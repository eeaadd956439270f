/**
 * Claims on a backup's or restore's name: a small key created with `ifNoneMatch` (S3 `If-None-Match: *`,
 * link(2) in a directory store) before a run writes anything else, so of two runs started at once with
 * one name exactly one goes on; the other is refused and deletes nothing. The keys come from the
 * catalog (layout.ts); no key layout here.
 */
import { StoreError } from "../errors.ts";
import { getBuffer, type ObjectStore } from "./object-store.ts";

/** The run that claims a name: what its claim records, and what proves a claim is its own. */
export interface ClaimingRun {
  /** The run's uid (the Backup's or Restore's `metadata.uid`). */
  readonly uid: string;
  /** When the run started. */
  readonly started: Date;
}

/** What a claim key holds (pretty JSON). */
export interface ClaimBody {
  readonly kind: "StowageClaim";
  readonly name: string;
  readonly uid: string;
  readonly startTimestamp: string;
}

/** What a claim is about: the kind and name of the thing claimed, its claim key and its marker key. */
export interface ClaimTarget {
  /** `backup` or `restore`, for messages. */
  readonly kind: "backup" | "restore";
  /** The backup's or restore's name. */
  readonly name: string;
  /** The claim key. */
  readonly claim: string;
  /** The key whose presence means "complete" (`velero-backup.json`, the restore record). */
  readonly marker: string;
}

const isCode = (error: unknown, code: string) => error instanceof StoreError && error.code === code;

/** The claim's body, or undefined when there is none or it cannot be read as one. */
export const readClaim = async (store: ObjectStore, key: string): Promise<ClaimBody | undefined> => {
  try {
    const body = JSON.parse((await getBuffer(store, key)).toString("utf8")) as Partial<ClaimBody>;
    return typeof body.uid === "string" ? (body as ClaimBody) : undefined;
  } catch {
    return undefined;
  }
};

const taken = (store: ObjectStore, target: ClaimTarget, detail: string, cause?: unknown) =>
  new StoreError(
    `${target.kind} "${target.name}" already exists in ${store.location} (${detail}): choose another name, or delete the existing ${target.kind} first`,
    { code: "ERR_ALREADY_EXISTS", ...(cause === undefined ? {} : { cause }) },
  );

/**
 * Claims `target.name` for `run`: creates the claim key unless it exists. Throws StoreError
 * `ERR_ALREADY_EXISTS`, having written and deleted nothing, when another run holds the claim; and,
 * having removed its own claim again, when the name is complete without one (a backup Velero wrote).
 */
export const claimName = async (store: ObjectStore, target: ClaimTarget, run: ClaimingRun): Promise<void> => {
  const body: ClaimBody = {
    kind: "StowageClaim",
    name: target.name,
    uid: run.uid,
    startTimestamp: run.started.toISOString(),
  };
  try {
    await store.put(target.claim, `${JSON.stringify(body, null, 2)}\n`, {
      contentType: "application/json",
      ifNoneMatch: true,
    });
  } catch (error) {
    if (!isCode(error, "ERR_ALREADY_EXISTS")) throw error;
    const holder = await readClaim(store, target.claim);
    const complete = await store.exists(target.marker).catch(() => false);
    throw taken(
      store,
      target,
      complete
        ? `complete`
        : `claimed by run ${holder?.uid ?? "(unknown)"} started ${holder?.startTimestamp ?? "(unknown)"}, still running or interrupted`,
      error,
    );
  }
  if (await store.exists(target.marker)) {
    await releaseClaim(store, target, run);
    throw taken(store, target, "complete, written without a claim");
  }
};

/** True when the claim on `target` is `run`'s own. */
export const holdsClaim = async (
  store: ObjectStore,
  target: ClaimTarget,
  run: ClaimingRun,
): Promise<boolean> => (await readClaim(store, target.claim))?.uid === run.uid;

/** Deletes the claim on `target` when it is `run`'s own; another run's claim is left alone. */
export const releaseClaim = async (
  store: ObjectStore,
  target: ClaimTarget,
  run: ClaimingRun,
): Promise<void> => {
  if (await holdsClaim(store, target, run)) await store.delete(target.claim);
};

/**
 * Removes what `run` wrote under a name it claimed — every key of `files`, then its claim, last — and
 * nothing when the claim is not its own (another run's keys are never deleted). Failures are ignored:
 * this is the cleanup of a run that already failed.
 */
export const discardClaimed = async (
  store: ObjectStore,
  target: ClaimTarget,
  run: ClaimingRun,
  files: readonly string[],
): Promise<void> => {
  try {
    if (!(await holdsClaim(store, target, run))) return;
    await Promise.all(files.map((key) => store.delete(key).catch(() => undefined)));
    await store.delete(target.claim);
  } catch {
    // best effort
  }
};
