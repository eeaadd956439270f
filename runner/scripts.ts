/**
 * Loading users' scripts. The contract: a runner script is an ES module (TypeScript or JavaScript) that
 * at its top level calls `schedule()` once per schedule, and/or registers item actions
 * (`registerBackupItemAction`, `registerRestoreItemAction`) for every backup and restore of the runner.
 * The runner collects the schedules instead of starting them. A script that fails to load, registers
 * nothing, or reuses another script's schedule name is reported with its path (what it registered is
 * dropped), and the other scripts still run. A script calling `process.exit()` while it loads is one of
 * those failures (see ./exit-guard.ts), not the end of the process.
 *
 * Scripts are staged into a private directory with `{"type":"module"}` beside them: a mounted ConfigMap
 * has no package.json, and without one tsx would compile `.ts` files as CommonJS, where top-level await
 * fails. `import … from "stowage"` resolves to the runner's own package wherever the scripts live.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { registerHooks } from "node:module";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { registeredActionsMark, rollbackRegisteredActions } from "../lib/actions/registered.ts";
import { ConfigError, type Schedule } from "../lib/index.ts";
import { collectingHost, setScheduleHost } from "../lib/schedule/index.ts";
import { asScript, installExitGuard } from "./exit-guard.ts";

const SCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs"]);

/** A script that loaded and registered schedules and/or item actions. */
export interface LoadedScript {
  /** The script's path in the scripts directory. */
  readonly path: string;
  readonly schedules: readonly Schedule[];
  /** Item actions it registered (registerBackupItemAction / registerRestoreItemAction). */
  readonly actions: number;
}

/** A script that could not be used, and why. */
export interface ScriptFailure {
  readonly path: string;
  readonly error: string;
}

/** What {@link loadScripts} found. */
export interface ScriptReport {
  readonly loaded: readonly LoadedScript[];
  readonly failed: readonly ScriptFailure[];
  /** Removes the staged copies. */
  cleanup(): Promise<void>;
}

let resolverInstalled = false;

/** Makes `stowage` and `stowage/*` resolve to this package from any directory. */
export const resolveStowageAnywhere = (): void => {
  if (resolverInstalled) return;
  resolverInstalled = true;
  const packageJson = new URL("../package.json", import.meta.url).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier !== "stowage" && !specifier.startsWith("stowage/"))
        return nextResolve(specifier, context);
      try {
        return nextResolve(specifier, context);
      } catch {
        return nextResolve(specifier, { ...context, parentURL: packageJson });
      }
    },
  });
};

/** Script files of `dir` (following symlinks, skipping hidden entries such as a ConfigMap's `..data`). */
const scriptFiles = async (dir: string): Promise<string[]> => {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    throw new ConfigError(
      `scripts directory ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): mount the scripts ConfigMap there, or pass --scripts DIR / set STOWAGE_SCRIPTS`,
      { cause: error },
    );
  }
  const files: string[] = [];
  for (const entry of entries.sort()) {
    if (entry.startsWith(".")) continue;
    const path = join(dir, entry);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) files.push(entry);
  }
  return files;
};

/**
 * Loads every script of `dir`. Schedules created by a failing script are dropped; schedule names must be
 * unique across scripts. Hold on to the result's `cleanup()` for shutdown.
 */
export const loadScripts = async (
  dir: string,
  options: {
    /** Load only these file names of `dir` (the others are still staged, for imports). @default all */
    readonly only?: readonly string[];
  } = {},
): Promise<ScriptReport> => {
  resolveStowageAnywhere();
  const files = await scriptFiles(dir);
  const wanted = (file: string) => !options.only || options.only.includes(file);
  const staged = await mkdtemp(join(tmpdir(), "stowage-scripts-"));
  await mkdir(staged, { recursive: true });
  await writeFile(join(staged, "package.json"), '{ "type": "module", "private": true }\n');
  for (const file of files) await copyFile(join(dir, file), join(staged, file));

  const loaded: LoadedScript[] = [];
  const failed: ScriptFailure[] = [];
  const owners = new Map<string, string>();
  const original = (text: string) => text.split(staged).join(dir);
  // a script's process.exit() while loading fails that script, not the process loading it
  const releaseGuard = installExitGuard();
  try {
    for (const file of files) {
      if (!SCRIPT_EXTENSIONS.has(extname(file)) || file.endsWith(".d.ts") || !wanted(file)) continue;
      const path = join(dir, file);
      const host = collectingHost();
      const previous = setScheduleHost(host);
      const mark = registeredActionsMark();
      const fail = (error: string) => {
        rollbackRegisteredActions(mark);
        failed.push({ path, error });
      };
      try {
        await asScript(`the script ${path}`, () => import(pathToFileURL(join(staged, file)).href));
      } catch (error) {
        fail(original(describeLoadError(error, staged)));
        continue;
      } finally {
        setScheduleHost(previous);
      }
      const after = registeredActionsMark();
      const actions = after.backup - mark.backup + (after.restore - mark.restore);
      if (host.schedules.length === 0 && actions === 0) {
        fail(
          "registers no schedules and no item actions: a runner script must call schedule() (or registerBackupItemAction / registerRestoreItemAction) at its top level (see runner/README.md)",
        );
        continue;
      }
      const clash = host.schedules.find((s) => owners.has(s.name));
      if (clash) {
        fail(
          `schedule "${clash.name}" is already defined by ${owners.get(clash.name)}: schedule names must be unique`,
        );
        continue;
      }
      const names = host.schedules.map((s) => s.name);
      const duplicate = names.find((name, i) => names.indexOf(name) !== i);
      if (duplicate) {
        fail(`defines schedule "${duplicate}" twice: schedule names must be unique`);
        continue;
      }
      for (const s of host.schedules) owners.set(s.name, path);
      loaded.push({ path, schedules: host.schedules, actions });
    }
  } finally {
    releaseGuard();
  }
  return { loaded, failed, cleanup: () => rm(staged, { recursive: true, force: true }) };
};

/** The message of an import failure plus, when the message lacks it, the script's line that failed. */
const describeLoadError = (error: unknown, staged: string): string => {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split("\n").slice(0, 4).join(" ").trim();
  if (message.includes(staged)) return message;
  const where = error.stack?.split("\n").find((line) => line.includes(staged));
  const location = where
    ?.trim()
    .replace(/^at (?:.* \()?/, "")
    .replace(/\)$/, "");
  return location ? `${message} (at ${location})` : message;
};
