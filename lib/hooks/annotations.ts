/**
 * Hook annotations on pods: Velero's keys and their `stowage.dev` twins (the `velero.io` domain
 * replaced by `stowage.dev`: `pre.hook.backup.velero.io/command` ↔ `pre.hook.backup.stowage.dev/command`),
 * and the parsing of their values with a clear problem for each bad one.
 */
import type { KubeObject } from "../kube/types.ts";
import { parseDuration } from "../util/duration.ts";
import type { HookErrorMode, ResolvedExecHook } from "./exec-hook.ts";

/** The `stowage.dev` twin of a Velero annotation key. */
export const stowageTwin = (veleroKey: string): string => veleroKey.replace(/velero\.io\//, "stowage.dev/");

/** The value of Velero's `key` on `annotations`, else of its `stowage.dev` twin; Velero's key wins. */
export const hookAnnotation = (
  annotations: Readonly<Record<string, string>>,
  veleroKey: string,
): { readonly key: string; readonly value: string } | undefined => {
  for (const key of [veleroKey, stowageTwin(veleroKey)]) {
    const value = annotations[key];
    if (value !== undefined && value !== "") return { key, value };
  }
  return undefined;
};

/**
 * A command annotation's value as an argv, as Velero reads it: a JSON array of strings (`["sh", "-c",
 * "…"]`), or any other text as a single-element command. A value that starts with `[` but is not a JSON
 * array of strings is a problem (Velero would run it as a one-word command, which never works).
 */
export const parseCommandAnnotation = (
  key: string,
  value: string,
): { command: string[] } | { problem: string } => {
  const text = value.trim();
  if (!text.startsWith("[")) return { command: [value] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      problem: `annotation ${key}: expected a JSON array of strings like ["sh", "-c", "sync"] or a single command, received ${JSON.stringify(value)} (${(error as Error).message}); fix the annotation`,
    };
  }
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === "string")) {
    return {
      problem: `annotation ${key}: expected a JSON array of strings like ["sh", "-c", "sync"], received ${JSON.stringify(value)}; fix the annotation`,
    };
  }
  if (parsed.length === 0) {
    return { problem: `annotation ${key}: the command is empty; give the command to run` };
  }
  return { command: parsed };
};

/** An `on-error` value: `Continue` or `Fail` (Velero's modes); other text is a problem. */
export const parseOnError = (
  where: string,
  value: string | undefined,
): { onError: HookErrorMode } | { problem: string } => {
  if (value === undefined || value === "") return { onError: "Fail" };
  if (value === "Continue" || value === "Fail") return { onError: value };
  return {
    problem: `${where}: expected "Continue" or "Fail", received ${JSON.stringify(value)}; fix it or leave it out (Fail)`,
  };
};

/** A hook timeout (Go duration like `30s`, `2m`); `undefined`/empty is 0 (the default). */
export const parseHookTimeout = (
  where: string,
  value: string | undefined,
): { timeoutMs: number } | { problem: string } => {
  if (value === undefined || value === "") return { timeoutMs: 0 };
  try {
    return { timeoutMs: parseDuration(value, where) };
  } catch {
    return {
      problem: `${where}: expected a duration like "30s" or "2m", received ${JSON.stringify(value)}; fix it or leave it out (30s)`,
    };
  }
};

/** An exec hook a pod's annotations define, with the keys it came from. */
export interface AnnotationHook {
  /** Velero's `container` before the default is applied (`""`: the pod's first container). */
  readonly container: string;
  /** The hook, or undefined when an annotation value was bad (then `problems` says why). */
  readonly hook: Omit<ResolvedExecHook, "container"> | undefined;
  /** The annotation values that could not be read, each naming the pod, the key and the value. */
  readonly problems: readonly string[];
  /** How a failure of this hook counts: its `on-error`, `Fail` when that is unreadable. */
  readonly onError: HookErrorMode;
}

/**
 * The exec hook that `<prefix>.hook.<kind>.velero.io/{command,container,on-error,timeout}` (or their
 * `stowage.dev` twins) define on `pod`, or undefined when it has no command annotation. `prefix` is
 * `pre`/`post`, or `""` for Velero's legacy unprefixed backup keys (`hook.backup.velero.io/command`).
 * Bad values are returned as problems (the hook then fails on that pod), not thrown.
 */
export const annotationHook = (
  pod: KubeObject,
  prefix: string,
  kind: "backup",
): AnnotationHook | undefined => {
  const annotations = pod.metadata?.annotations ?? {};
  const base = `${prefix ? `${prefix}.` : ""}hook.${kind}.velero.io`;
  const command = hookAnnotation(annotations, `${base}/command`);
  if (!command) return undefined;
  const podName = `${pod.metadata?.namespace ?? ""}/${pod.metadata?.name ?? ""}`;
  const container = hookAnnotation(annotations, `${base}/container`)?.value ?? "";
  const onErrorValue = hookAnnotation(annotations, `${base}/on-error`);
  const timeoutValue = hookAnnotation(annotations, `${base}/timeout`);
  const problems: string[] = [];
  const parsedCommand = parseCommandAnnotation(command.key, command.value);
  if ("problem" in parsedCommand) problems.push(parsedCommand.problem);
  const onError = parseOnError(`annotation ${onErrorValue?.key ?? `${base}/on-error`}`, onErrorValue?.value);
  if ("problem" in onError) problems.push(onError.problem);
  const timeout = parseHookTimeout(
    `annotation ${timeoutValue?.key ?? `${base}/timeout`}`,
    timeoutValue?.value,
  );
  if ("problem" in timeout) problems.push(timeout.problem);
  return {
    container,
    hook:
      problems.length === 0 && "command" in parsedCommand && "onError" in onError && "timeoutMs" in timeout
        ? { command: parsedCommand.command, onError: onError.onError, timeoutMs: timeout.timeoutMs }
        : undefined,
    problems: problems.map((p) => `pod ${podName}: ${p}`),
    onError: "onError" in onError ? onError.onError : "Fail",
  };
};
