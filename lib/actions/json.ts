/** Kubernetes objects as plain JSON: the one record check item actions and their checks share. */

/** A JSON object (a Kubernetes object or any map inside one), as actions read it without typed conversion. */
export type Json = Record<string, unknown>;

/** True for a plain JSON object: not `null`, not an array, not a primitive. */
export const isRecord = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
