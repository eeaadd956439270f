/**
 * A registry of plugins by full name (`<dns-subdomain>/<name>`), the way Velero keeps its plugins: bare
 * names resolve to a full one, a taken name is only replaced when asked. Object store providers and
 * volume snapshotters both use it.
 */
import { ConfigError } from "../errors.ts";

/** Plugins of one kind by full name. */
export interface NamedRegistry<T> {
  /**
   * Adds `value` under the full name `full` and returns it; a name already taken throws a ConfigError
   * unless `replace` is set.
   * @param replace replace what is registered under `full`. @default false
   */
  add(full: string, value: T, replace?: boolean): string;
  /** Removes the entry `name` resolves to; returns whether there was one. */
  remove(name: string): boolean;
  /** The entry `name` resolves to, or undefined. */
  get(name: string): T | undefined;
  /** True when the full name `full` is registered (no resolving). */
  has(full: string): boolean;
  /** The full names, sorted. */
  names(): string[];
}

/**
 * A registry of `what`s (e.g. "provider", used in messages), starting with `builtins`; `resolve` turns a
 * name as users give it into the full name (`aws` → `velero.io/aws`).
 */
export const createNamedRegistry = <T>(
  what: string,
  resolve: (name: string) => string,
  builtins: Iterable<readonly [string, T]> = [],
): NamedRegistry<T> => {
  const entries = new Map<string, T>(builtins);
  return {
    add(full, value, replace = false) {
      if (entries.has(full) && !replace) {
        throw new ConfigError(
          `${what} "${full}" is already registered: pass { replace: true } to replace it, or pick another name`,
        );
      }
      entries.set(full, value);
      return full;
    },
    remove: (name) => entries.delete(resolve(name)),
    get: (name) => entries.get(resolve(name)),
    has: (full) => entries.has(full),
    names: () => [...entries.keys()].sort(),
  };
};
