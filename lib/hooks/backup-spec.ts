/**
 * `BackupSpec.hooks.resources[]` in Velero's API shape (`BackupResourceHookSpec`), plus per-pod hooks as
 * functions; checked in one pass (every problem named, nothing thrown) and resolved into what the hook
 * runner applies to pods, with the spec velero-backup.json records.
 */
import type { Checked } from "../filters/checked.ts";
import { checkNamespaceFilter, type NamespaceFilter } from "../filters/globs.ts";
import { type CompiledLabelSelector, checkLabelSelector, type LabelSelectorLike } from "../filters/labels.ts";
import { checkResourceIncludesExcludes, type ResourceIncludesExcludes } from "../filters/resources.ts";
import type { Discovery } from "../kube/discovery.ts";
import type { ExecResult } from "../kube/exec-types.ts";
import type { KubeObject } from "../kube/types.ts";
import { isRecord } from "../util/is-record.ts";
import { parseHookTimeout, parseOnError } from "./annotations.ts";
import type { HookErrorMode } from "./exec-hook.ts";

/** Velero's `ExecHook`: a command run in a container of each selected pod. */
export interface ExecHookSpec {
  /** The container to run it in. @default the pod's first container */
  readonly container?: string;
  /** The command and its arguments (no shell unless you run one: `["sh", "-c", "…"]`). */
  readonly command: readonly string[];
  /** `Fail` fails the pod's items (a pre hook: the pod is not backed up); `Continue` records the error (the run ends PartiallyFailed, as in Velero) and goes on. @default "Fail" */
  readonly onError?: HookErrorMode;
  /** How long it may run (Go duration, `"30s"`, `"2m"`); then it is stopped and fails. @default "30s" */
  readonly timeout?: string;
}

/** Velero's `BackupResourceHook`: one exec hook. */
export interface BackupResourceHook {
  readonly exec: ExecHookSpec;
}

/** Options of the `exec` a function hook gets. */
export interface PodHookExecOptions {
  /** @default the pod's first container */
  readonly container?: string;
  /** The command is stopped after this long and `ExecTimeoutError` is thrown. @default 30000 */
  readonly timeoutMs?: number;
  /** Written to the command's standard input, which is then closed. @default no stdin */
  readonly stdin?: string | Uint8Array;
}

/** What a function hook gets: the pod (as listed) and a way to run commands in it. */
export interface PodHookContext {
  readonly pod: KubeObject;
  /**
   * Runs `command` in a container of this pod. Rejects with `HookCommandError` when it exits non-zero,
   * `ExecTimeoutError` when it runs too long, `ExecError` when it cannot run: uncaught, the hook fails.
   */
  readonly exec: (command: readonly string[], options?: PodHookExecOptions) => Promise<ExecResult>;
  /** Fires when the backup is cancelled (pre hooks); post hooks run to their end regardless. */
  readonly signal: AbortSignal;
}

/**
 * A per-pod hook as code, beside Velero's exec hooks: it runs where an exec hook would, and throwing
 * fails it as an exec hook with `onError: "Fail"` fails (catch inside it to go on).
 */
export type PodHookFunction = (context: PodHookContext) => Promise<void> | void;

/** Velero's `BackupResourceHookSpec`: which pods, and the hooks run before and after each is backed up. */
export interface BackupResourceHookSpec {
  /** Names the hook spec in logs. */
  readonly name: string;
  /** Namespace globs whose pods it applies to. @default ["*"] */
  readonly includedNamespaces?: readonly string[];
  /** Namespace globs it does not apply to. @default [] */
  readonly excludedNamespaces?: readonly string[];
  /** Resources it applies to (hooks only ever run on pods: a list without pods selects none). @default ["*"] */
  readonly includedResources?: readonly string[];
  /** Resources it does not apply to (`pods` turns it off). @default [] */
  readonly excludedResources?: readonly string[];
  /** Only pods with matching labels (`app=db` or a LabelSelector object). @default every pod */
  readonly labelSelector?: string | LabelSelectorLike;
  /** Run in order before the pod's items and volumes are backed up. @default [] */
  readonly pre?: readonly (BackupResourceHook | PodHookFunction)[];
  /** Run in order after them (after its pod-volume backups too), also when they failed. @default [] */
  readonly post?: readonly (BackupResourceHook | PodHookFunction)[];
}

/** One hook of a resolved hook spec. */
export type ResolvedHookEntry =
  | {
      readonly kind: "exec";
      /** `""`: the pod's first container. */
      readonly container: string;
      readonly command: readonly string[];
      readonly onError: HookErrorMode;
      readonly timeoutMs: number;
    }
  | { readonly kind: "function"; readonly run: PodHookFunction };

/** A hook spec ready to apply to pods. */
export interface ResolvedResourceHook {
  readonly name: string;
  readonly namespaces: NamespaceFilter;
  readonly resources: ResourceIncludesExcludes;
  readonly selector: CompiledLabelSelector | undefined;
  readonly pre: readonly ResolvedHookEntry[];
  readonly post: readonly ResolvedHookEntry[];
}

/** Whether a resolved hook spec applies to a pod in `namespace` with `labels` (Velero's `applicableTo`). */
export const appliesToPod = (
  hook: ResolvedResourceHook,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): boolean =>
  hook.namespaces.shouldInclude(namespace) &&
  hook.resources.shouldInclude("pods") &&
  (hook.selector === undefined || hook.selector.matches(labels));

const stringList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

const checkEntries = (
  where: string,
  entries: unknown,
  problems: string[],
): { resolved: ResolvedHookEntry[]; recorded: Record<string, unknown>[] } => {
  const resolved: ResolvedHookEntry[] = [];
  const recorded: Record<string, unknown>[] = [];
  if (entries === undefined || entries === null) return { resolved, recorded };
  if (!Array.isArray(entries)) {
    problems.push(
      `${where}: expected a list of hooks ({ exec: { command: [...] } } or functions), received ${typeof entries}`,
    );
    return { resolved, recorded };
  }
  entries.forEach((entry: unknown, i) => {
    const at = `${where}[${i}]`;
    if (typeof entry === "function") {
      resolved.push({ kind: "function", run: entry as PodHookFunction });
      return;
    }
    const exec = isRecord(entry) ? entry.exec : undefined;
    if (!isRecord(exec)) {
      problems.push(
        `${at}: expected { exec: { command: [...] } } or a function ({ pod, exec }) => …, received ${JSON.stringify(entry) ?? typeof entry}`,
      );
      return;
    }
    const before = problems.length;
    const { container, command, onError, timeout } = exec;
    if (container !== undefined && typeof container !== "string")
      problems.push(`${at}.exec.container: expected a container name, received ${JSON.stringify(container)}`);
    if (!stringList(command) || command.length === 0)
      problems.push(
        `${at}.exec.command: expected a non-empty list of strings like ["sh", "-c", "sync"], received ${JSON.stringify(command)}`,
      );
    const mode = parseOnError(`${at}.exec.onError`, onError as string | undefined);
    if (onError !== undefined && typeof onError !== "string")
      problems.push(`${at}.exec.onError: expected "Continue" or "Fail", received ${JSON.stringify(onError)}`);
    else if ("problem" in mode) problems.push(mode.problem);
    const time = parseHookTimeout(`${at}.exec.timeout`, timeout as string | undefined);
    if (timeout !== undefined && typeof timeout !== "string")
      problems.push(
        `${at}.exec.timeout: expected a duration like "30s", received ${JSON.stringify(timeout)}`,
      );
    else if ("problem" in time) problems.push(time.problem);
    if (problems.length > before) return;
    resolved.push({
      kind: "exec",
      container: (container as string | undefined) ?? "",
      command: [...(command as string[])],
      onError: "onError" in mode ? mode.onError : "Fail",
      timeoutMs: "timeoutMs" in time ? time.timeoutMs : 0,
    });
    recorded.push({
      exec: {
        ...(container ? { container } : {}),
        command: [...(command as string[])],
        ...(onError ? { onError } : {}),
        ...(timeout ? { timeout } : {}),
      },
    });
  });
  return { resolved, recorded };
};

/** Resolved hook specs, and the `spec.hooks.resources` to record (function hooks cannot be recorded). */
export interface ResolvedBackupHooks {
  readonly resources: readonly ResolvedResourceHook[];
  readonly recorded: readonly Record<string, unknown>[];
}

/**
 * Checks `hooks.resources` (Velero's `BackupSpec.hooks.resources`) against the cluster's discovery:
 * names, namespace and resource lists, label selectors, and each hook's command, onError and timeout.
 */
export const checkBackupHooks = (
  discovery: Discovery,
  resources: unknown,
  field = "hooks.resources",
): Checked<ResolvedBackupHooks> => {
  const problems: string[] = [];
  const warnings: string[] = [];
  const resolved: ResolvedResourceHook[] = [];
  const recorded: Record<string, unknown>[] = [];
  if (resources === undefined || resources === null)
    return { value: { resources: resolved, recorded }, problems, warnings };
  if (!Array.isArray(resources)) {
    problems.push(
      `${field}: expected a list of hook specs ({ name, pre, post, … }), received ${typeof resources}`,
    );
    return { value: { resources: resolved, recorded }, problems, warnings };
  }
  resources.forEach((spec: unknown, i) => {
    const name = isRecord(spec) && typeof spec.name === "string" ? spec.name : "";
    const at = `${field}[${i}]${name ? ` (${name})` : ""}`;
    if (!isRecord(spec)) {
      problems.push(`${at}: expected a hook spec ({ name, pre, post, … }), received ${JSON.stringify(spec)}`);
      return;
    }
    const before = problems.length;
    let listsOk = true;
    if (!name)
      problems.push(`${at}.name: expected a name for the hook spec, received ${JSON.stringify(spec.name)}`);
    for (const list of [
      "includedNamespaces",
      "excludedNamespaces",
      "includedResources",
      "excludedResources",
    ]) {
      if (spec[list] !== undefined && !stringList(spec[list])) {
        problems.push(`${at}.${list}: expected a list of strings, received ${JSON.stringify(spec[list])}`);
        listsOk = false;
      }
    }
    if (!listsOk) return;
    const ns = checkNamespaceFilter({
      included: (spec.includedNamespaces as string[] | undefined) ?? [],
      excluded: (spec.excludedNamespaces as string[] | undefined) ?? [],
    });
    problems.push(...ns.problems.map((p) => `${at}: ${p}`));
    const res = checkResourceIncludesExcludes(discovery, {
      included: spec.includedResources as string[] | undefined,
      excluded: spec.excludedResources as string[] | undefined,
    });
    problems.push(...res.problems.map((p) => `${at}: ${p}`));
    warnings.push(...res.warnings.map((w) => `${at}: ${w}`));
    let selector: CompiledLabelSelector | undefined;
    if (spec.labelSelector !== undefined && spec.labelSelector !== null && spec.labelSelector !== "") {
      const checked = checkLabelSelector(
        spec.labelSelector as string | LabelSelectorLike,
        `${at}.labelSelector`,
      );
      problems.push(...checked.problems);
      selector = checked.problems.length === 0 ? checked.value : undefined;
    }
    const pre = checkEntries(`${at}.pre`, spec.pre, problems);
    const post = checkEntries(`${at}.post`, spec.post, problems);
    if (problems.length > before) return;
    resolved.push({
      name,
      namespaces: ns.value,
      resources: res.value,
      selector,
      pre: pre.resolved,
      post: post.resolved,
    });
    recorded.push({
      name,
      ...(stringList(spec.includedNamespaces) && spec.includedNamespaces.length
        ? { includedNamespaces: [...spec.includedNamespaces] }
        : {}),
      ...(stringList(spec.excludedNamespaces) && spec.excludedNamespaces.length
        ? { excludedNamespaces: [...spec.excludedNamespaces] }
        : {}),
      ...(stringList(spec.includedResources) && spec.includedResources.length
        ? { includedResources: [...spec.includedResources] }
        : {}),
      ...(stringList(spec.excludedResources) && spec.excludedResources.length
        ? { excludedResources: [...spec.excludedResources] }
        : {}),
      ...(selector ? { labelSelector: selector.selector } : {}),
      ...(pre.recorded.length ? { pre: pre.recorded } : {}),
      ...(post.recorded.length ? { post: post.recorded } : {}),
    });
  });
  return { value: { resources: resolved, recorded }, problems, warnings };
};
