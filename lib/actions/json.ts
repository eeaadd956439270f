/** Kubernetes objects as plain JSON: the one record check item actions and their checks share. */

/** A JSON object (a Kubernetes object or any map inside one), as actions read it without typed conversion. */
export type Json = Record<string, unknown>;

/** True for a plain JSON object: not `null`, not an array, not a primitive (lib/util's one record check). */
export { isRecord } from "../util/is-record.ts";
