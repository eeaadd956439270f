/**
 * Restore hooks as `restore()` takes them: Velero's `RestoreSpec.hooks` shape (name, namespace,
 * resource and label selectors, `postHooks[]` of `init` and `exec` hooks, Go durations), plus per-pod
 * functions in place of a command. Checked once, before the restore reads anything; what comes out is
 * what the run reads, and the spec it records.
 */
import { describeValue } from "../errors.ts";
import {
  checkLabelSelector,
  checkNamespaceFilter,
  checkResourceIncludesExcludes,
  type LabelSelectorInput,
  type Labels,
} from "../filters/index.ts";
import type { Discovery } from "../kube/discovery.ts";
import { parseDuration } from "../util/duration.ts";
import type { PodHookContext } from "./backup-spec.ts";
import type { HookErrorMode } from "./exec-hook.ts";

/**
 * What a per-pod function hook is given once its container is up: a backup hook's context (the pod as
 * the apiserver reported it then, `exec` — in `container` unless told otherwise, rejecting with
 * `HookCommandError` on a non-zero exit — and `signal`, aborted when the hook's `execTimeout` passes or
 * the restore stops), plus the container and the restore's log.
 */
export interface RestorePodHookContext extends PodHookContext {
  /** The container the hook waited for (`container`, else the pod's first container). */
  readonly container: string;
  /** Lines land in the restore's log, naming the pod. */
  readonly log: {
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
  };
}

/**
 * A post-restore hook as code: called once the pod's container is running (Ready, with `waitForReady`);
 * it fails when it throws (or rejects), and when it runs longer than its `execTimeout`.
 */
export type RestorePodHookFunction = (context: RestorePodHookContext) => unknown;

/** Velero's `ExecRestoreHook`: a command run in a restored pod's container once it is up. */
export interface ExecRestoreHook {
  /** The container to wait for and run in. @default the pod's first container */
  readonly container?: string;
  /** The command and its arguments (no shell unless you run one), or a function run instead. */
  readonly command: readonly string[] | RestorePodHookFunction;
  /**
   * A failed hook is an error of the restore either way (PartiallyFailed, as in Velero). `Fail`: no
   * restore hook that has not started yet runs after it, in any pod. `Continue`: the others go on.
   * @default "Continue"
   */
  readonly onError?: HookErrorMode;
  /** How long the command may run once started, a Go duration (`45s`, `2m`). @default "30s" */
  readonly execTimeout?: string;
  /**
   * How long to wait, from the pod's creation, for the container to be up (and for earlier hooks in it to
   * finish) before the hook is given up as failed. @default none: waits until the restore is aborted
   */
  readonly waitTimeout?: string;
  /** Wait for the container to be Ready, not just running (then every hook of that container does). @default false */
  readonly waitForReady?: boolean;
}

/** Velero's `InitRestoreHook`: init containers added to restored pods. */
export interface InitRestoreHook {
  /** Full container specs; each needs `name`, `image` and `command`. @default [] */
  readonly initContainers?: readonly Readonly<Record<string, unknown>>[];
  /** Recorded in the spec only: as in Velero, nothing waits for init containers. @default none */
  readonly timeout?: string;
}

/** One entry of `postHooks`: an exec hook (object or function) or an init hook. */
export interface RestoreResourceHook {
  /** Run in the pod once its container is up. @default none */
  readonly exec?: ExecRestoreHook | RestorePodHookFunction;
  /** Init containers added to the pod before it is created. @default none */
  readonly init?: InitRestoreHook;
}

/**
 * Velero's `RestoreResourceHookSpec`: hooks for the restored pods it selects. Selectors match the pod as
 * restored: its namespace after `namespaceMapping`, its labels.
 */
export interface RestoreResourceHookSpec {
  /** Names the hooks in the log, results and hook counts. */
  readonly name: string;
  /** Namespace names or globs (restored namespaces). @default ["*"] */
  readonly includedNamespaces?: readonly string[];
  /** Namespace names or globs to leave out. @default [] */
  readonly excludedNamespaces?: readonly string[];
  /**
   * Resources, any name form; only pods get restore hooks, so this matters only when it leaves pods out.
   * @default ["*"]
   */
  readonly includedResources?: readonly string[];
  /** Resources to leave out (`pods` turns the entry off). @default [] */
  readonly excludedResources?: readonly string[];
  /** Only pods whose labels match. @default every pod */
  readonly labelSelector?: LabelSelectorInput;
  /** The hooks, run in this order; a bare function is an exec hook with the defaults. @default [] */
  readonly postHooks?: readonly (RestoreResourceHook | RestorePodHookFunction)[];
}

/** `restore()`'s `hooks` (Velero's `RestoreSpec.hooks`). */
export interface RestoreHooks {
  /**
   * Hooks for restored pods, besides the ones their `init.hook.restore.velero.io/*` and
   * `post.hook.restore.velero.io/*` annotations ask for (a pod's annotations win over these, separately
   * for init and exec hooks, as in Velero).
   * @default []
   */
  readonly resources?: readonly RestoreResourceHookSpec[];
}

/** Where a hook came from (Velero's hook tracker names these). */
export type HookSource = "annotation" | "spec";

/** An exec hook ready to run: durations in milliseconds, defaults applied. */
export interface ResolvedExecHook {
  readonly hookName: string;
  readonly source: HookSource;
  /** Its index in `postHooks` (0 for an annotation hook). */
  readonly index: number;
  /** undefined: the pod's first container. */
  readonly container: string | undefined;
  readonly command: readonly string[] | RestorePodHookFunction;
  readonly onError: HookErrorMode;
  readonly execTimeoutMs: number;
  /** 0: no wait timeout. */
  readonly waitTimeoutMs: number;
  readonly waitForReady: boolean;
}

/** One checked `hooks.resources[]` entry. */
export interface ResolvedResourceRestoreHook {
  readonly name: string;
  /** Whether it applies to a pod restored into `namespace` with `labels`. */
  applies(namespace: string, labels: Labels): boolean;
  /** Its init containers, in order (copies). */
  readonly initContainers: readonly Record<string, unknown>[];
  readonly exec: readonly ResolvedExecHook[];
}

/** Velero's default exec timeout of a hook: 30 s. */
export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;

const durationOrProblem = (problems: string[], field: string, value: unknown, fallback: number): number => {
  if (value === undefined || value === "") return fallback;
  if (typeof value !== "string") {
    problems.push(`${field} must be a Go duration string such as "30s" or "5m", got ${describeValue(value)}`);
    return fallback;
  }
  try {
    return parseDuration(value, field);
  } catch {
    problems.push(`${field} must be a Go duration such as "30s" or "5m", got "${value}"`);
    return fallback;
  }
};

const checkExec = (
  problems: string[],
  field: string,
  raw: unknown,
  hookName: string,
  index: number,
): ResolvedExecHook | undefined => {
  const hook: ExecRestoreHook | undefined =
    typeof raw === "function"
      ? { command: raw as RestorePodHookFunction }
      : typeof raw === "object" && raw !== null
        ? (raw as ExecRestoreHook)
        : undefined;
  if (!hook) {
    problems.push(`${field} must be an ExecRestoreHook object or a function, got ${describeValue(raw)}`);
    return undefined;
  }
  const { command, container, onError, waitForReady } = hook;
  const commandOk =
    typeof command === "function" ||
    (Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === "string"));
  if (!commandOk) {
    problems.push(
      `${field}.command must be a non-empty array of strings (or a function), got ${describeValue(command)}`,
    );
  }
  if (container !== undefined && (typeof container !== "string" || container === "")) {
    problems.push(`${field}.container must be a container name, got ${describeValue(container)}`);
  }
  if (onError !== undefined && onError !== "Continue" && onError !== "Fail") {
    problems.push(`${field}.onError must be "Continue" or "Fail", got ${describeValue(onError)}`);
  }
  if (waitForReady !== undefined && typeof waitForReady !== "boolean") {
    problems.push(`${field}.waitForReady must be true or false, got ${describeValue(waitForReady)}`);
  }
  const execTimeoutMs = durationOrProblem(
    problems,
    `${field}.execTimeout`,
    hook.execTimeout,
    DEFAULT_EXEC_TIMEOUT_MS,
  );
  return {
    hookName,
    source: "spec",
    index,
    container: container || undefined,
    command,
    onError: onError === "Fail" ? "Fail" : "Continue",
    execTimeoutMs: execTimeoutMs || DEFAULT_EXEC_TIMEOUT_MS,
    waitTimeoutMs: durationOrProblem(problems, `${field}.waitTimeout`, hook.waitTimeout, 0),
    waitForReady: waitForReady === true,
  };
};

const checkInit = (problems: string[], field: string, raw: unknown): Record<string, unknown>[] => {
  if (typeof raw !== "object" || raw === null) {
    problems.push(
      `${field} must be an InitRestoreHook object ({ initContainers }), got ${describeValue(raw)}`,
    );
    return [];
  }
  const init = raw as InitRestoreHook;
  durationOrProblem(problems, `${field}.timeout`, init.timeout, 0);
  if (init.initContainers === undefined) return [];
  if (!Array.isArray(init.initContainers)) {
    problems.push(
      `${field}.initContainers must be an array of containers, got ${describeValue(init.initContainers)}`,
    );
    return [];
  }
  return init.initContainers.flatMap((container, i) => {
    const at = `${field}.initContainers[${i}]`;
    if (typeof container !== "object" || container === null || Array.isArray(container)) {
      problems.push(`${at} must be a container object, got ${describeValue(container)}`);
      return [];
    }
    const c = container as { name?: unknown; image?: unknown; command?: unknown };
    // Velero's ValidateContainer: a name, an image and a command
    const missing = [
      typeof c.name === "string" && c.name !== "" ? undefined : "name",
      typeof c.image === "string" && c.image !== "" ? undefined : "image",
      Array.isArray(c.command) && c.command.length > 0 && c.command.every((s) => typeof s === "string")
        ? undefined
        : "command",
    ].filter((m) => m !== undefined);
    if (missing.length > 0) {
      problems.push(
        `${at} needs ${missing.join(", ")} (an init container hook has a name, an image and a non-empty command array, as in Velero)`,
      );
      return [];
    }
    return [structuredClone(container) as Record<string, unknown>];
  });
};

/** The recorded form of one entry: Velero's fields, function hooks left out (they cannot be written). */
const recordedEntry = (spec: RestoreResourceHookSpec, selector: unknown): Record<string, unknown> => {
  const postHooks = (spec.postHooks ?? []).flatMap((hook) => {
    if (typeof hook === "function") return [];
    const exec =
      typeof hook.exec === "object" && typeof hook.exec.command !== "function" ? hook.exec : undefined;
    const entry = {
      ...(exec
        ? {
            exec: {
              ...(exec.container ? { container: exec.container } : {}),
              command: [...(exec.command as readonly string[])],
              ...(exec.onError ? { onError: exec.onError } : {}),
              ...(exec.execTimeout ? { execTimeout: exec.execTimeout } : {}),
              ...(exec.waitTimeout ? { waitTimeout: exec.waitTimeout } : {}),
              ...(exec.waitForReady === undefined ? {} : { waitForReady: exec.waitForReady }),
            },
          }
        : {}),
      ...(hook.init
        ? {
            init: {
              initContainers: structuredClone([...(hook.init.initContainers ?? [])]),
              ...(hook.init.timeout ? { timeout: hook.init.timeout } : {}),
            },
          }
        : {}),
    };
    return Object.keys(entry).length > 0 ? [entry] : [];
  });
  return {
    name: spec.name,
    ...(spec.includedNamespaces?.length ? { includedNamespaces: [...spec.includedNamespaces] } : {}),
    ...(spec.excludedNamespaces?.length ? { excludedNamespaces: [...spec.excludedNamespaces] } : {}),
    ...(spec.includedResources?.length ? { includedResources: [...spec.includedResources] } : {}),
    ...(spec.excludedResources?.length ? { excludedResources: [...spec.excludedResources] } : {}),
    ...(selector ? { labelSelector: selector } : {}),
    ...(postHooks.length ? { postHooks } : {}),
  };
};

/** {@link RestoreHooks} checked: the entries, and the `hooks` field the Restore records (undefined: none). */
export interface ResolvedRestoreHooks {
  readonly resources: readonly ResolvedResourceRestoreHook[];
  readonly spec: { readonly resources?: readonly Record<string, unknown>[] } | undefined;
}

/**
 * Checks `hooks` against the cluster's discovery (resource names), appending every problem to
 * `problems` with the field it is in (`hooks.resources[0].postHooks[1].exec.execTimeout`). Never throws.
 */
export const resolveRestoreHooks = (
  input: RestoreHooks | undefined,
  discovery: Discovery,
  problems: string[],
): ResolvedRestoreHooks => {
  if (input === undefined) return { resources: [], spec: undefined };
  if (typeof input !== "object" || input === null) {
    problems.push(`hooks must be an object ({ resources: [...] }), got ${describeValue(input)}`);
    return { resources: [], spec: undefined };
  }
  const raw = input.resources ?? [];
  if (!Array.isArray(raw)) {
    problems.push(`hooks.resources must be an array of RestoreResourceHookSpec, got ${describeValue(raw)}`);
    return { resources: [], spec: undefined };
  }
  const resources: ResolvedResourceRestoreHook[] = [];
  const recorded: Record<string, unknown>[] = [];
  raw.forEach((spec: RestoreResourceHookSpec, i) => {
    const at = `hooks.resources[${i}]`;
    if (typeof spec !== "object" || spec === null) {
      problems.push(`${at} must be a RestoreResourceHookSpec object, got ${describeValue(spec)}`);
      return;
    }
    if (typeof spec.name !== "string" || spec.name === "") {
      problems.push(
        `${at}.name is required (it names the hook in the log and results), got ${describeValue(spec.name)}`,
      );
    }
    const name = typeof spec.name === "string" ? spec.name : "";
    const namespaces = checkNamespaceFilter({
      included: spec.includedNamespaces,
      excluded: spec.excludedNamespaces,
    });
    problems.push(...namespaces.problems.map((p) => `${at}: ${p}`));
    const resourceLists = checkResourceIncludesExcludes(discovery, {
      included: spec.includedResources,
      excluded: spec.excludedResources,
      fields: { included: `${at}.includedResources`, excluded: `${at}.excludedResources` },
    });
    problems.push(...resourceLists.problems);
    const selector =
      spec.labelSelector === undefined
        ? undefined
        : checkLabelSelector(spec.labelSelector, `${at}.labelSelector`);
    problems.push(...(selector?.problems ?? []));
    const postHooks = spec.postHooks ?? [];
    if (!Array.isArray(postHooks)) {
      problems.push(
        `${at}.postHooks must be an array of { exec } / { init } hooks or functions, got ${describeValue(postHooks)}`,
      );
      return;
    }
    const initContainers: Record<string, unknown>[] = [];
    const exec: ResolvedExecHook[] = [];
    postHooks.forEach((entry: RestoreResourceHook | RestorePodHookFunction, j) => {
      const hookAt = `${at}.postHooks[${j}]`;
      const hook: RestoreResourceHook = typeof entry === "function" ? { exec: entry } : entry;
      if (typeof hook !== "object" || hook === null) {
        problems.push(`${hookAt} must be { exec }, { init } or a function, got ${describeValue(hook)}`);
        return;
      }
      if (hook.exec === undefined && hook.init === undefined) {
        problems.push(`${hookAt} has neither exec nor init: give one of them`);
      }
      if (hook.init !== undefined) initContainers.push(...checkInit(problems, `${hookAt}.init`, hook.init));
      if (hook.exec !== undefined) {
        const resolved = checkExec(problems, `${hookAt}.exec`, hook.exec, name, j);
        if (resolved) exec.push(resolved);
      }
    });
    const compiled = selector?.value;
    const podsIncluded = resourceLists.value.shouldInclude("pods");
    resources.push({
      name,
      applies: (namespace, labels) =>
        podsIncluded && namespaces.value.shouldInclude(namespace) && (!compiled || compiled.matches(labels)),
      initContainers,
      exec,
    });
    recorded.push(recordedEntry(spec, compiled?.selector));
  });
  // Velero writes `hooks: {}` when there are none (`resources` is omitempty)
  return { resources, spec: recorded.length > 0 ? { resources: recorded } : {} };
};
