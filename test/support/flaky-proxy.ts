/**
 * Proxies in front of the real test apiserver that lose answers on demand, for the tests of
 * non-idempotent retries:
 * - {@link startLossyProxy}: a plain-HTTP reverse proxy that forwards each request to the apiserver and,
 *   when the plan says so, waits for the apiserver's complete answer (so a create is committed) and then
 *   cuts the client's connection instead of passing the answer on.
 * - {@link startTcpRelay}: a TCP relay that passes the TLS bytes through unchanged (the client verifies
 *   the apiserver's own certificate; it is issued for 127.0.0.1, which the relay also listens on), and
 *   can be started on a port chosen earlier, so a client first meets a refused connection.
 */
import { readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { join } from "node:path";
import { onCleanup } from "./cleanup.ts";
import { testEnv } from "./env.ts";

/** What the lossy proxy does with one request. */
export type LossPlan = "forward" | "lose-response" | "503";

/** One request the lossy proxy saw. */
export interface ProxiedRequest {
  readonly method: string;
  readonly url: string;
  readonly plan: LossPlan;
  /** The apiserver's status for a forwarded request (also when its answer was then lost). */
  status?: number | undefined;
}

/** A plan that loses the answer of the first POST to each of `paths` (query ignored) and forwards the rest. */
export const loseFirstPostTo = (paths: readonly string[]) => {
  const lose = new Set(paths);
  return (req: http.IncomingMessage): LossPlan => {
    const path = (req.url ?? "").split("?")[0]!;
    if (req.method !== "POST" || !lose.has(path)) return "forward";
    lose.delete(path);
    return "lose-response";
  };
};

/**
 * Starts the lossy proxy; `plan` decides per request (n counts requests from 0). Returns a kubeconfig
 * for it (admin token) and the requests it saw.
 */
export const startLossyProxy = async (
  plan: (req: http.IncomingMessage, n: number) => LossPlan,
): Promise<{ kubeconfig: string; seen: ProxiedRequest[] }> => {
  const env = await testEnv();
  const upstream = new URL(env.kube.server);
  const ca = readFileSync(env.kube.caFile);
  const seen: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const decided = plan(req, seen.length);
    const record: ProxiedRequest = { method: req.method ?? "", url: req.url ?? "", plan: decided };
    seen.push(record);
    if (decided === "503") {
      req.resume();
      res.writeHead(503, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          reason: "ServiceUnavailable",
          code: 503,
          message: "injected 503",
        }),
      );
      return;
    }
    const forward = https.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        ca,
        agent: false,
      },
      (up) => {
        record.status = up.statusCode;
        if (decided === "lose-response") {
          // read the whole answer (the apiserver has done the work), then hang up on the client
          up.resume();
          up.on("end", () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const kubeconfig = join(env.dir, `lossy-${port}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: lossy, cluster: {server: "http://127.0.0.1:${port}"}}]
users: [{name: admin, user: {token: "${env.kube.adminToken}"}}]
contexts: [{name: lossy, context: {cluster: lossy, user: admin}}]
current-context: lossy
`,
  );
  onCleanup(() => {
    server.closeAllConnections();
    server.close();
  });
  return { kubeconfig, seen };
};

/** A port free right now on 127.0.0.1 (nothing listens on it until a relay is started there). */
export const freePort = async (): Promise<number> => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
};

/** A kubeconfig for `https://127.0.0.1:port` with the apiserver's CA and the admin token. */
export const relayKubeconfig = async (port: number): Promise<string> => {
  const env = await testEnv();
  const kubeconfig = join(env.dir, `relay-${port}.kubeconfig`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: relay, cluster: {server: "https://127.0.0.1:${port}", certificate-authority: "${env.kube.caFile}"}}]
users: [{name: admin, user: {token: "${env.kube.adminToken}"}}]
contexts: [{name: relay, context: {cluster: relay, user: admin}}]
current-context: relay
`,
  );
  return kubeconfig;
};

/** Starts a TCP relay to the apiserver on `port` (TLS passes through unchanged); resolves once listening. */
export const startTcpRelay = async (port: number): Promise<void> => {
  const env = await testEnv();
  const upstream = new URL(env.kube.server);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(Number(upstream.port), upstream.hostname);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        server.destroy();
      });
    }
    client.pipe(server);
    server.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
};
