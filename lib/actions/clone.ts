/**
 * Deep copy of JSON-shaped data (what Kubernetes objects are), several times faster than
 * `structuredClone` on typical objects. Plain objects and arrays are copied recursively; any other
 * object (a `Date` an action put in) falls back to `structuredClone`, which throws a `DataCloneError`
 * for values that cannot be copied (functions, symbols).
 */
export const cloneJson = <T>(value: T): T => {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  // for…in is the fastest walk; plain and null-prototype objects have no inherited enumerable keys
  for (const key in value) {
    const copy = cloneJson((value as Record<string, unknown>)[key]);
    // JSON.parse makes "__proto__" an own property; plain assignment would change the prototype instead
    if (key === "__proto__")
      Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out as T;
};
