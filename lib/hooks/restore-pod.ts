/**
 * The restore hooks of one restored pod, Velero's way (`internal/hook/item_hook_handler.go`): its
 * `init.hook.restore.velero.io/*` annotations, else the applicable `hooks.resources[]` entries, give its
 * init containers; its `post.hook.restore.velero.io/*` annotations, else the applicable entries, give its
 * exec hooks. Each annotation also works as its `stowage.dev` twin (Velero's key wins). Pure: reads the
 * pod, returns a new one or the plan.
 */
import { randomBytes } from "node:crypto";
import type { KubeObject } from "../kube/types.ts";
import { parseDuration } from "../util/duration.ts";
import { hookAnnotation } from "./annotations.ts";
import {
  DEFAULT_EXEC_TIMEOUT_MS,
  type ResolvedExecHook,
  type ResolvedResourceRestoreHook,
} from "./restore-spec.ts";

/** The pod annotations Velero reads for restore hooks. */
export const RESTORE_HOOK_ANNOTATIONS = {
  initImage: "init.hook.restore.velero.io/container-image",
  initName: "init.hook.restore.velero.io/container-name",
  initCommand: "init.hook.restore.velero.io/command",
  container: "post.hook.restore.velero.io/container",
  command: "post.hook.restore.velero.io/command",
  onError: "post.hook.restore.velero.io/on-error",
  execTimeout: "post.hook.restore.velero.io/exec-timeout",
  waitTimeout: "post.hook.restore.velero.io/wait-timeout",
  waitForReady: "post.hook.restore.velero.io/wait-for-ready",
} as const;

/** Velero's annotation `key`, else its `stowage.dev` twin (`post.hook.restore.stowage.dev/command`). */
const read = (annotations: Record<string, string>, key: string): string | undefined =>
  hookAnnotation(annotations, key)?.value;

/** The name Velero gives an annotation hook in its tracker and log. */
export const ANNOTATION_HOOK_NAME = "<from-annotation>";

/** The pod-volume restore helper Velero keeps first among the init containers. */
const RESTORE_WAIT = "restore-wait";

/** A command annotation: a JSON array of strings, else the whole value as one argument (Velero's rule). */
export const parseHookCommand = (value: string): string[] => {
  if (value.startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((s) => typeof s === "string")) return parsed;
    } catch {
      // not JSON: one argument, as Velero takes it
    }
  }
  return [value];
};

interface PodSpecView {
  containers?: Array<{ name?: string }>;
  initContainers?: Array<Record<string, unknown> & { name?: string }>;
}

const specOf = (pod: KubeObject): PodSpecView => (pod.spec ?? {}) as PodSpecView;

/** The init container an annotated pod asks for; undefined without `container-image`. */
const initFromAnnotations = (annotations: Record<string, string>): Record<string, unknown> | undefined => {
  const image = read(annotations, RESTORE_HOOK_ANNOTATIONS.initImage);
  if (!image) return undefined;
  const command = read(annotations, RESTORE_HOOK_ANNOTATIONS.initCommand);
  const name =
    read(annotations, RESTORE_HOOK_ANNOTATIONS.initName) ||
    `velero-restore-init-${randomBytes(4).toString("hex")}`;
  return { name, image, ...(command ? { command: parseHookCommand(command) } : {}) };
};

/**
 * `pod` with its init-container hooks: Velero's `restore-wait` helper stays first, then the hook
 * containers (from the annotations if the pod has `container-image`, else from every applicable entry,
 * in order), then the pod's own init containers. Undefined when no hook applies.
 */
export const withInitHooks = (
  pod: KubeObject,
  resources: readonly ResolvedResourceRestoreHook[],
): { pod: KubeObject; added: string[]; source: "annotation" | "spec" } | undefined => {
  const fromAnnotation = initFromAnnotations(pod.metadata?.annotations ?? {});
  const namespace = pod.metadata?.namespace ?? "";
  const labels = pod.metadata?.labels ?? {};
  const hooks = fromAnnotation
    ? [fromAnnotation]
    : resources
        .filter((r) => r.initContainers.length > 0 && r.applies(namespace, labels))
        .flatMap((r) => r.initContainers.map((c) => structuredClone(c)));
  if (hooks.length === 0) return undefined;
  const spec = { ...((pod.spec ?? {}) as Record<string, unknown>) };
  const existing = specOf(pod).initContainers ?? [];
  const helper = existing[0]?.name === RESTORE_WAIT ? existing.slice(0, 1) : [];
  spec.initContainers = [...helper, ...hooks, ...existing.slice(helper.length)];
  return {
    pod: { ...pod, spec },
    added: hooks.map((c) => String(c.name)),
    source: fromAnnotation ? "annotation" : "spec",
  };
};

/** The exec hook an annotated pod asks for (needs `command`); unreadable values are warned about and ignored. */
const execFromAnnotations = (
  annotations: Record<string, string>,
  warn: (message: string) => void,
): ResolvedExecHook | undefined => {
  const command = read(annotations, RESTORE_HOOK_ANNOTATIONS.command);
  if (!command) return undefined;
  const duration = (key: string): number => {
    const value = read(annotations, key);
    if (!value) return 0;
    try {
      return parseDuration(value, key);
    } catch {
      warn(`annotation ${key}="${value}" is not a Go duration (like "30s" or "5m"): ignored`);
      return 0;
    }
  };
  const onError = read(annotations, RESTORE_HOOK_ANNOTATIONS.onError);
  if (onError && onError !== "Continue" && onError !== "Fail") {
    warn(
      `annotation ${RESTORE_HOOK_ANNOTATIONS.onError}="${onError}" is neither Continue nor Fail: Continue is used`,
    );
  }
  const ready = read(annotations, RESTORE_HOOK_ANNOTATIONS.waitForReady);
  if (ready && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False|T|F)$/.test(ready)) {
    warn(`annotation ${RESTORE_HOOK_ANNOTATIONS.waitForReady}="${ready}" is not a boolean: false is used`);
  }
  return {
    hookName: ANNOTATION_HOOK_NAME,
    source: "annotation",
    index: 0,
    container: read(annotations, RESTORE_HOOK_ANNOTATIONS.container) || undefined,
    command: parseHookCommand(command),
    onError: onError === "Fail" ? "Fail" : "Continue",
    execTimeoutMs: duration(RESTORE_HOOK_ANNOTATIONS.execTimeout) || DEFAULT_EXEC_TIMEOUT_MS,
    waitTimeoutMs: duration(RESTORE_HOOK_ANNOTATIONS.waitTimeout),
    waitForReady: /^(true|1|t|TRUE|True|T)$/.test(ready ?? ""),
  };
};

/** An exec hook of one pod, its container settled (the pod's first when the hook names none). */
export type PlannedExecHook = ResolvedExecHook & { readonly container: string };

/**
 * The exec hooks of a restored pod, in the order they run: the annotation hook alone when the pod has
 * `post.hook.restore.velero.io/command`, else every exec hook of every applicable entry. A pod without
 * containers gets none.
 */
export const planExecHooks = (
  pod: KubeObject,
  resources: readonly ResolvedResourceRestoreHook[],
  warn: (message: string) => void,
): PlannedExecHook[] => {
  const first = specOf(pod).containers?.[0]?.name;
  if (!first) return [];
  const settle = (hook: ResolvedExecHook): PlannedExecHook => ({
    ...hook,
    container: hook.container ?? first,
  });
  const fromAnnotation = execFromAnnotations(pod.metadata?.annotations ?? {}, warn);
  if (fromAnnotation) return [settle(fromAnnotation)];
  const namespace = pod.metadata?.namespace ?? "";
  const labels = pod.metadata?.labels ?? {};
  return resources.filter((r) => r.applies(namespace, labels)).flatMap((r) => r.exec.map(settle));
};
