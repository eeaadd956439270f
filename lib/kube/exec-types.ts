import { StowageError } from "../errors.ts";

/** A command to run in a container of a running pod (`pods/exec`). */
export interface ExecOptions {
  readonly namespace: string;
  readonly pod: string;
  /**
   * The container. @default the pod's `kubectl.kubernetes.io/default-container` annotation, else its
   * only container (a pod with several containers and no default needs one named)
   */
  readonly container?: string;
  /** The command and its arguments, as an argv (no shell unless you run one: `["sh", "-c", "…"]`). */
  readonly command: readonly string[];
  /**
   * How long the command may run; when it runs longer the stream is closed (the kubelet then ends the
   * process) and `ExecTimeoutError` is thrown. @default 0 (no limit)
   */
  readonly timeoutMs?: number;
  /** Aborting closes the stream and rejects with `AbortError`. */
  readonly signal?: AbortSignal;
  /** Data written to the command's standard input, which is then closed. @default no stdin */
  readonly stdin?: string | Uint8Array;
  /** Called with each chunk of standard output as it arrives (streaming). */
  readonly onStdout?: (chunk: Buffer) => void;
  /** Called with each chunk of standard error as it arrives (streaming). */
  readonly onStderr?: (chunk: Buffer) => void;
  /**
   * At most this many bytes of each of stdout and stderr are kept in the result (the rest still reaches
   * `onStdout`/`onStderr`); `truncated` says when output was dropped. @default 1048576 (1 MiB)
   */
  readonly maxOutputBytes?: number;
}

/** What a finished command gave back. A non-zero exit code is a result, not an error. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  /** Whether stdout or stderr went over `maxOutputBytes` and was cut. */
  readonly truncated: boolean;
}

/** A command ran longer than its `timeoutMs`: the stream was closed, so the kubelet ends the process. */
export class ExecTimeoutError extends StowageError {
  readonly timeoutMs: number;
  /** What the command had written before it was stopped. */
  readonly stdout: string;
  readonly stderr: string;
  constructor(what: string, timeoutMs: number, output: { stdout: string; stderr: string }) {
    super(
      "ERR_EXEC_TIMEOUT",
      `${what} ran longer than its timeout of ${timeoutMs} ms and was stopped: give it a longer timeout, or make the command finish sooner`,
    );
    this.timeoutMs = timeoutMs;
    this.stdout = output.stdout;
    this.stderr = output.stderr;
  }
}

/**
 * The command could not be run at all: the container does not exist or is not running, the exec
 * stream could not be opened, or the command was not found in the container.
 */
export class ExecError extends StowageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_EXEC", message, options);
  }
}
