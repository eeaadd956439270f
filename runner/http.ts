/**
 * The runner's HTTP endpoints: `/healthz` (the process is alive and not stopping), `/readyz` (scripts are
 * loaded; the body says what was loaded and who leads) and `/metrics` (Prometheus text format).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ConfigError } from "../lib/index.ts";

/** What the endpoints report. */
export interface Probes {
  healthy(): boolean;
  ready(): boolean;
  status(): Record<string, unknown>;
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** Parses `--metrics-addr`: `:8085`, `0.0.0.0:8085`, `127.0.0.1:0`, `[::1]:8085`. */
export const parseListenAddress = (text: string): { host: string | undefined; port: number } => {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `invalid metrics address ${JSON.stringify(text)}: expected HOST:PORT or :PORT, e.g. ":8085" or "127.0.0.1:8085"`,
    );
  }
  const host = match[1] ?? match[2];
  return { host: host === "" ? undefined : host, port };
};

/** Starts the server on `address`; resolves once it listens, with the bound address. */
export const serveProbes = async (
  address: string,
  probes: Probes,
): Promise<{ server: Server; url: string; close(): Promise<void> }> => {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "method not allowed\n");
    if (path === "/healthz")
      return probes.healthy() ? send(200, "text/plain", "ok\n") : send(503, "text/plain", "stopping\n");
    if (path === "/readyz") {
      const body = `${JSON.stringify(probes.status(), null, 2)}\n`;
      return send(probes.ready() ? 200 : 503, "application/json", body);
    }
    if (path === "/metrics") {
      probes.metrics().then(
        ({ contentType, body }) => send(200, contentType, body),
        (error: Error) => send(500, "text/plain", `metrics failed: ${error.message}\n`),
      );
      return;
    }
    send(404, "text/plain", "not found: try /healthz, /readyz or /metrics\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(`cannot listen on ${address} for metrics: ${error.code ?? error.message}`, {
          cause: error,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shown = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  return {
    server,
    url: `http://${shown}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};
