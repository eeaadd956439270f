/**
 * `pods/exec` over the apiserver's WebSocket streaming protocol, as kubectl speaks it since Kubernetes
 * 1.30: subprotocol `v5.channel.k8s.io` (stdin can be closed), falling back to `v4.channel.k8s.io`
 * on older servers (the server picks the newest both sides know). Each binary frame starts with its
 * channel: 0 stdin, 1 stdout, 2 stderr, 3 the final `Status` (exit code), 255 "close this channel"
 * (v5). SPDY, kubectl's last fallback, has no maintained Node client and is not spoken.
 */
import WebSocket from "ws";
import { AbortError, ValidationError } from "../errors.ts";
import type { LoadedConfig } from "./config.ts";
import { errorFromResponse, KubeUnreachableError } from "./errors.ts";
import { ExecError, type ExecOptions, type ExecResult, ExecTimeoutError } from "./exec-types.ts";
import type { Transport } from "./transport.ts";
import type { KubeObject } from "./types.ts";

const PROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"];
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 30_000;

/** How exec reads a pod when it must pick the container or explain a refusal. */
export type PodReader = (namespace: string, name: string) => Promise<KubeObject | undefined>;

interface PodStatusJson {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

const containerNames = (pod: KubeObject | undefined): string[] => {
  const containers = (pod?.spec as { containers?: { name?: string }[] } | undefined)?.containers ?? [];
  return containers.map((c) => c.name ?? "").filter(Boolean);
};

const validate = (options: ExecOptions): void => {
  const problems: string[] = [];
  const nonEmpty = (what: string, value: unknown) => {
    if (typeof value !== "string" || value === "")
      problems.push(`${what}: expected a non-empty string, received ${JSON.stringify(value)}`);
  };
  nonEmpty("exec namespace", options?.namespace);
  nonEmpty("exec pod", options?.pod);
  if (options?.container !== undefined) nonEmpty("exec container", options.container);
  const command = options?.command;
  if (
    !Array.isArray(command) ||
    command.length === 0 ||
    !command.every((part) => typeof part === "string") ||
    command[0] === ""
  )
    problems.push(
      `exec command: expected a non-empty array of strings (an argv such as ["sh", "-c", "…"]), received ${JSON.stringify(command)}`,
    );
  for (const key of ["timeoutMs", "maxOutputBytes"] as const) {
    const value = options?.[key];
    if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value < 0))
      problems.push(`exec ${key}: expected a number ≥ 0, received ${JSON.stringify(value)}`);
  }
  if (problems.length) throw new ValidationError(problems);
};

/** Picks the container as kubectl does: the default-container annotation, else the only one. */
const pickContainer = async (options: ExecOptions, readPod: PodReader): Promise<string> => {
  if (options.container) return options.container;
  const pod = await readPod(options.namespace, options.pod);
  const where = `pod ${options.namespace}/${options.pod}`;
  if (!pod) throw new ExecError(`cannot exec in ${where}: the pod does not exist`);
  const named = pod.metadata?.annotations?.["kubectl.kubernetes.io/default-container"];
  const names = containerNames(pod);
  if (named && names.includes(named)) return named;
  if (names.length === 1) return names[0] as string;
  throw new ExecError(
    `cannot exec in ${where}: it has ${names.length} containers (${names.join(", ")}) and no kubectl.kubernetes.io/default-container annotation: name one with \`container\``,
  );
};

/** Keeps at most `max` bytes of a stream, counting what was dropped. */
class Capture {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  readonly max: number;
  truncated = false;
  constructor(max: number) {
    this.max = max;
  }
  add(chunk: Buffer): void {
    const room = this.max - this.#kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(Buffer.from(part));
    this.#kept += part.length;
  }
  text(): string {
    return Buffer.concat(this.#chunks).toString("utf8");
  }
}

/** The exit code a final `Status` carries; undefined when it is a failure to run at all. */
const exitCodeOf = (status: PodStatusJson): number | undefined => {
  if (status.status === "Success") return 0;
  if (status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  return undefined;
};

/** Runs `options.command` in the container; see `Cluster.exec`. */
export const runExec = async (
  config: LoadedConfig,
  transport: Transport,
  readPod: PodReader,
  options: ExecOptions,
): Promise<ExecResult> => {
  validate(options);
  const { namespace, pod, signal } = options;
  const where = () => `exec in pod ${namespace}/${pod}`;
  if (signal?.aborted) throw new AbortError(`${where()} aborted before it started`, { cause: signal.reason });
  const container = await pickContainer(options, readPod);
  const what = `command ${JSON.stringify(options.command)} in container "${container}" of pod ${namespace}/${pod}`;

  const server = new URL(config.server);
  const basePath = server.pathname.replace(/\/+$/, "");
  const query = new URLSearchParams({ container, stdout: "true", stderr: "true" });
  for (const part of options.command) query.append("command", part);
  if (options.stdin !== undefined) query.set("stdin", "true");
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec`;
  const url = `${server.protocol === "https:" ? "wss:" : "ws:"}//${server.host}${basePath}${path}?${query}`;
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;

  for (let attempt = 1; ; attempt++) {
    const auth = await transport.streamAuth();
    const outcome = await new Promise<ExecResult | { refused: number; body: Buffer }>((resolve, reject) => {
      const stdout = new Capture(max);
      const stderr = new Capture(max);
      const statusParts: Buffer[] = [];
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const socket = new WebSocket(url, PROTOCOLS, {
        headers: auth.headers as Record<string, string>,
        agent: auth.agent,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        perMessageDeflate: false,
      });
      const output = () => ({ stdout: stdout.text(), stderr: stderr.text() });
      const finish = (error: Error | undefined, value?: ExecResult | { refused: number; body: Buffer }) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
        if (error) reject(error);
        else resolve(value as ExecResult);
      };
      const onAbort = () =>
        finish(new AbortError(`${what} was aborted; the stream was closed`, { cause: signal?.reason }));
      signal?.addEventListener("abort", onAbort, { once: true });
      if (options.timeoutMs)
        timer = setTimeout(
          () => finish(new ExecTimeoutError(what, options.timeoutMs as number, output())),
          options.timeoutMs,
        );

      socket.on("unexpected-response", (_request, response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          finish(undefined, { refused: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        response.on("error", (error) => finish(error));
      });
      socket.on("open", () => {
        if (options.stdin === undefined) return;
        const data =
          typeof options.stdin === "string" ? Buffer.from(options.stdin) : Buffer.from(options.stdin);
        socket.send(Buffer.concat([Buffer.from([STDIN]), data]));
        // v5 can say "no more input"; over v4 stdin stays open until the command ends
        if (socket.protocol === "v5.channel.k8s.io") socket.send(Buffer.from([CLOSE, STDIN]));
      });
      socket.on("message", (data: Buffer, isBinary: boolean) => {
        const frame = isBinary ? data : Buffer.from(data);
        if (frame.length === 0) return;
        const body = frame.subarray(1);
        switch (frame[0]) {
          case STDOUT:
            if (body.length) {
              stdout.add(body);
              options.onStdout?.(body);
            }
            break;
          case STDERR:
            if (body.length) {
              stderr.add(body);
              options.onStderr?.(body);
            }
            break;
          case STATUS:
            statusParts.push(Buffer.from(body));
            break;
        }
      });
      socket.on("error", (error) => {
        if (settled) return;
        const tls = transport.tlsProblem(error);
        if (tls) return finish(tls);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EHOSTUNREACH")
          return finish(new KubeUnreachableError(config.server, error));
        finish(new ExecError(`${what}: the exec stream failed (${error.message})`, { cause: error }));
      });
      socket.on("close", () => {
        if (settled) return;
        const text = Buffer.concat(statusParts).toString("utf8").trim();
        if (!text)
          return finish(
            new ExecError(
              `${what}: the exec stream closed without an exit status (the container or its node may have gone away): check the pod with \`kubectl describe pod -n ${namespace} ${pod}\``,
            ),
          );
        let status: PodStatusJson;
        try {
          status = JSON.parse(text) as PodStatusJson;
        } catch {
          return finish(new ExecError(`${what} could not be run: ${text}`));
        }
        const exitCode = exitCodeOf(status);
        if (exitCode === undefined)
          return finish(
            new ExecError(
              `${what} could not be run: ${status.message ?? text}: check that the command exists in the container's image`,
            ),
          );
        finish(undefined, {
          ...output(),
          exitCode,
          truncated: stdout.truncated || stderr.truncated,
        });
      });
    });
    if (!("refused" in outcome)) return outcome;
    if (outcome.refused === 401 && attempt === 1 && transport.streamRejected()) continue;
    const apiError = errorFromResponse(outcome.refused, outcome.body, { method: "GET", path });
    if (outcome.refused !== 400 && outcome.refused !== 404) throw apiError;
    // 404 names the pod, or its node when the pod is bound to a node that is not registered;
    // 400: the container is not in the pod, or the pod is not running (yet)
    const existing = await readPod(namespace, pod).catch(() => undefined);
    if (outcome.refused === 404) {
      if (!existing) throw apiError;
      const nodeName = (existing.spec as { nodeName?: string } | undefined)?.nodeName;
      throw new ExecError(
        `cannot ${where()}: its node${nodeName ? ` "${nodeName}"` : ""} is not registered with the cluster (${apiError.message}): the pod cannot be reached until it is rescheduled on a live node`,
        { cause: apiError },
      );
    }
    const names = containerNames(existing);
    const hint =
      existing && !names.includes(container)
        ? `the pod's containers are ${names.join(", ")}`
        : "wait until the pod is running, or check its status with `kubectl describe pod`";
    throw new ExecError(`cannot ${where()}, container "${container}": ${apiError.message}: ${hint}`, {
      cause: apiError,
    });
  }
};
