/**
 * The plumbing the GCE and Azure fakes share: a loopback JSON server that records every request, routes
 * it, and answers 400 with the problem when a handler finds the request invalid (so a client that sends
 * a wrong body fails loudly in the test instead of passing on a lenient fake).
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { onCleanup } from "../support/cleanup.ts";

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; `undefined` when the request had none. */
  readonly body: unknown;
}

export interface FakeResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * Thrown by handlers for an invalid or unknown request: answered with `status` and the provider's
 * error shape, and recorded in {@link FakeServer.rejected}. (Legitimate answers such as "not found"
 * are returned, not thrown.)
 */
export class BadRequest extends Error {
  readonly status: number;
  readonly code: string;
  constructor(message: string, status = 400, code = "InvalidParameter") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface FakeServer {
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  /** Requests answered with an error because they were invalid or unknown (tests expect none). */
  readonly rejected: string[];
}

export type ErrorBody = (status: number, code: string, message: string) => unknown;

/** Starts a fake on 127.0.0.1 (closed after the test file). `route` returns undefined for an unknown route. */
export const startFakeServer = async (
  route: (request: FakeRequest, server: FakeServer) => FakeResponse | undefined,
  errorBody: ErrorBody,
): Promise<FakeServer> => {
  const requests: FakeRequest[] = [];
  const rejected: string[] = [];
  const state = { url: "", port: 0, requests, rejected };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const text = Buffer.concat(chunks).toString("utf8");
      let response: FakeResponse;
      try {
        let body: unknown;
        try {
          body = text === "" ? undefined : JSON.parse(text);
        } catch {
          throw new BadRequest(`request body is not JSON: ${text.slice(0, 100)}`);
        }
        const request: FakeRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
        };
        requests.push(request);
        const routed = route(request, state);
        if (!routed) throw new BadRequest(`no such route: ${req.method} ${url.pathname}`, 404, "NotFound");
        response = routed;
      } catch (error) {
        const bad =
          error instanceof BadRequest
            ? error
            : new BadRequest((error as Error).message, 500, "InternalError");
        rejected.push(`${req.method} ${url.pathname}: ${bad.message}`);
        response = { status: bad.status, body: errorBody(bad.status, bad.code, bad.message) };
      }
      res.writeHead(response.status, { "content-type": "application/json", ...response.headers });
      res.end(response.body === undefined ? "" : JSON.stringify(response.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  return state;
};

/** Throws BadRequest unless `value` is a plain object; returns it. */
export const object = (value: unknown, what: string): Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new BadRequest(`${what} must be an object`);
  return value as Record<string, unknown>;
};

/** Throws BadRequest when `value` has keys outside `allowed`. */
export const onlyKeys = (value: Record<string, unknown>, allowed: readonly string[], what: string): void => {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new BadRequest(`${what} has unexpected fields [${extra.join(", ")}]`);
};

/** Throws BadRequest unless `value` is a non-empty string; returns it. */
export const str = (value: unknown, what: string): string => {
  if (typeof value !== "string" || value === "") throw new BadRequest(`${what} must be a non-empty string`);
  return value;
};

/** Throws BadRequest unless `value` is undefined or an object of strings. */
export const stringMap = (value: unknown, what: string): Record<string, string> => {
  if (value === undefined) return {};
  const map = object(value, what);
  for (const [k, v] of Object.entries(map))
    if (typeof v !== "string") throw new BadRequest(`${what}.${k} must be a string`);
  return map as Record<string, string>;
};
