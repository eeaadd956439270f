/** Small helpers for reading and editing Kubernetes objects as plain JSON (no typed conversion). */

import { isRecord, type Json } from "../lib/actions/index.ts";

/** The object at `obj[key]`, or undefined when it is absent or not an object. */
export const child = (obj: unknown, key: string): Json | undefined => {
  if (!isRecord(obj)) return undefined;
  const value = obj[key];
  return isRecord(value) ? value : undefined;
};

/** The object at a path of keys, or undefined. */
export const at = (obj: unknown, ...path: string[]): Json | undefined => {
  let current: unknown = obj;
  for (const key of path) current = child(current, key);
  return isRecord(current) ? current : undefined;
};

/** `obj[key]` when it is a string, else undefined. */
export const text = (obj: Json | undefined, key: string): string | undefined => {
  const value = obj?.[key];
  return typeof value === "string" ? value : undefined;
};

/** `obj[key]` when it is an array, else an empty array. */
export const list = (obj: Json | undefined, key: string): unknown[] => {
  const value = obj?.[key];
  return Array.isArray(value) ? value : [];
};

/**
 * Deletes `keys` from the map at `obj[field]`; removes the map itself when that leaves it empty, as
 * Go's `omitempty` does when Velero converts the typed object back. Returns true when anything changed.
 */
export const deleteFromMap = (obj: Json | undefined, field: string, keys: Iterable<string>): boolean => {
  const map = child(obj, field);
  if (!obj || !map) return false;
  let changed = false;
  for (const key of keys) {
    if (Object.hasOwn(map, key)) {
      delete map[key];
      changed = true;
    }
  }
  if (changed && Object.keys(map).length === 0) delete obj[field];
  return changed;
};

/** Sets `obj[field]` to `items`, or deletes it when empty (Go's nil slice with `omitempty`). */
export const setList = (obj: Json, field: string, items: unknown[]): void => {
  if (items.length === 0) delete obj[field];
  else obj[field] = items;
};

/** `<ns>/<name>` or `<name>`, for log lines. */
export const describe = (item: { metadata?: { name?: string; namespace?: string } }): string => {
  const ns = item.metadata?.namespace;
  return `${ns ? `${ns}/` : ""}${item.metadata?.name ?? "<no name>"}`;
};

/**
 * A memo scoped to one backup or restore run: entries are keyed by the run's info object
 * (`input.backup` / `input.restore`), so action instances reused across runs never see stale data. A
 * rejected load is forgotten, so the next item retries.
 */
export const runMemo = <V>() => {
  const runs = new WeakMap<object, Map<string, Promise<V>>>();
  return (run: object, key: string, load: () => Promise<V>): Promise<V> => {
    let entries = runs.get(run);
    if (!entries) {
      entries = new Map();
      runs.set(run, entries);
    }
    const cached = entries.get(key);
    if (cached) return cached;
    const pending = load();
    entries.set(key, pending);
    const owner = entries;
    pending.catch(() => {
      if (owner.get(key) === pending) owner.delete(key);
    });
    return pending;
  };
};
