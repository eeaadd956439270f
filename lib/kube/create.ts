/**
 * A create that survives a lost answer. The transport does not repeat a create once it may have
 * reached the server (`AmbiguousRequestError`); this reads back what it may have made and adopts it
 * when it is the caller's own, or creates again when nothing is there.
 */

import type { Cluster, ResourceRef, WriteOptions } from "./client.ts";
import { AlreadyExistsError, AmbiguousRequestError } from "./errors.ts";
import type { KubeObject } from "./types.ts";

/** Options of {@link createReconciled}: how the caller recognises its own object. */
export interface ReconcileOptions extends WriteOptions {
  /**
   * True when `found` (read back after an unanswered create) was made by this caller, e.g. it carries
   * a label unique to this create or run. An object that is not ours answers as AlreadyExists.
   */
  readonly isOurs: (found: KubeObject) => boolean;
  /**
   * Looks for the object an unanswered create may have made; undefined when there is none. Required
   * for an object with only `metadata.generateName` (list by a label unique to the create).
   * @default a GET of the object's `metadata.name`
   */
  readonly find?: (() => Promise<KubeObject | undefined>) | undefined;
  /**
   * Creates tried in all before the last `AmbiguousRequestError` is thrown.
   * @default 3
   */
  readonly rounds?: number;
}

/** The created object, and whether it was found after a create whose answer was lost. */
export interface Reconciled {
  readonly object: KubeObject;
  /** True when the create's answer was lost and the object it made was found by reading back. */
  readonly adopted: boolean;
}

/**
 * Creates `object`; when the answer is lost (`AmbiguousRequestError`), reads it back: ours → adopted,
 * absent → created again, someone else's → `AlreadyExistsError` (as if the create had answered 409).
 */
export const createReconciled = async (
  cluster: Cluster,
  ref: ResourceRef,
  object: KubeObject,
  options: ReconcileOptions,
): Promise<Reconciled> => {
  const { isOurs, find, rounds = 3, ...writeOptions } = options;
  const name = object.metadata?.name;
  const namespace = options.namespace ?? object.metadata?.namespace;
  const lookup =
    find ?? (name ? () => cluster.tryGet(ref, name, { namespace, signal: options.signal }) : undefined);
  let lost: AmbiguousRequestError | undefined;
  for (let round = 1; ; round++) {
    try {
      return { object: await cluster.create(ref, object, writeOptions), adopted: false };
    } catch (error) {
      // a create repeated after a lost answer may meet the first one, committed late
      const late = lost !== undefined && error instanceof AlreadyExistsError;
      if (!(error instanceof AmbiguousRequestError || late) || !lookup) throw error;
      if (error instanceof AmbiguousRequestError) lost = error;
      const found = await lookup();
      if (!found) {
        if (round >= rounds) throw error;
        continue;
      }
      if (isOurs(found)) return { object: found, adopted: true };
      if (late) throw error;
      throw new AlreadyExistsError("ERR_ALREADY_EXISTS", {
        status: 409,
        reason: "AlreadyExists",
        message: `${found.kind ?? "the object"} "${found.metadata?.name}" exists but was not made by this create (whose answer was lost: ${lost!.message})`,
        request: lost!.request,
      });
    }
  }
};
