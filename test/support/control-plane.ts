import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";
import { requireBinary } from "./binaries.ts";
import { freePort, type Started, type Supervisor, waitUntil } from "./processes.ts";

/**
 * The credentials of the kubelet side of `pods/exec`: the apiserver presents a client certificate
 * signed by `caFile` to kubelets and verifies their serving certificates against the same CA.
 */
export interface KubeletPki {
  /** PEM CA that signed both the kubelet serving certificate and the apiserver's client certificate. */
  readonly caFile: string;
  /** The kubelet serving certificate (IP SAN 127.0.0.1) and its key. */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ControlPlaneOptions {
  /**
   * Give the apiserver kubelet client credentials (`--kubelet-client-certificate`, `-key`,
   * `--kubelet-certificate-authority`), so `pods/exec` reaches the harness node's streaming endpoint
   * (test/support/node-player.ts). Needs the `kubelet-streaming` component of `scripts/setup`, which
   * generates the PKI.
   * @default false
   */
  readonly kubeletStreaming?: boolean;
}

const kubeletPkis = new Map<string, KubeletPki>();

/** The kubelet PKI of a control plane started in this process, by its `server` URL. */
export const kubeletPkiOf = (server: string): KubeletPki | undefined => kubeletPkis.get(server);

/** A running etcd + kube-apiserver + kube-controller-manager on loopback ports. */
export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** Admin kubeconfig (token user in `system:masters`). */
  readonly kubeconfig: string;
  /** kubeconfig of a user with no RBAC bindings at all (`stowage-limited`), for least-privilege tests. */
  readonly limitedKubeconfig: string;
  /** The admin bearer token. */
  readonly adminToken: string;
  /** PEM CA bundle that verifies the apiserver's serving certificate. */
  readonly caFile: string;
  readonly etcdUrl: string;
  /** Present when started with `kubeletStreaming`: what the harness node serves exec with. */
  readonly kubelet?: KubeletPki;
  /** Milliseconds from the first spawn until the API answered and the controllers ran. */
  readonly startupMs: number;
  readonly processes: readonly Started[];
}

const kubeconfigYaml = (server: string, caFile: string, user: string, token: string) => `apiVersion: v1
kind: Config
clusters:
- name: stowage-local
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: stowage-local
  context:
    cluster: stowage-local
    user: ${user}
    namespace: default
current-context: stowage-local
`;

const getJson = (url: string, token: string, ca: Buffer): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 5000 },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });

/**
 * Starts etcd, kube-apiserver (RBAC, token auth, self-signed serving cert) and kube-controller-manager
 * in `dir`, registered with `supervisor` for teardown. Resolves once the apiserver is ready, the
 * `default` namespace exists and the controller-manager has created its `default` ServiceAccount.
 */
export const startControlPlane = async (
  supervisor: Supervisor,
  dir: string,
  options: ControlPlaneOptions = {},
): Promise<ControlPlane> => {
  const etcdBin = requireBinary("ETCD");
  const streamingBin = options.kubeletStreaming ? requireBinary("KUBELET_STREAMING") : undefined;
  const apiserverBin = requireBinary("KUBE_APISERVER");
  const kcmBin = requireBinary("KUBE_CONTROLLER_MANAGER");
  const began = Date.now();
  const [etcdClient, etcdPeer, apiPort, kcmPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const pki = join(dir, "pki");
  mkdirSync(pki, { recursive: true });

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const saKey = join(dir, "sa.key");
  writeFileSync(saKey, privateKey.export({ type: "pkcs8", format: "pem" }));
  const adminToken = `admin-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const limitedToken = `limited-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  writeFileSync(
    join(dir, "tokens.csv"),
    `${adminToken},stowage-admin,stowage-admin-uid,"system:masters"\n${limitedToken},stowage-limited,stowage-limited-uid,""\n`,
  );

  let kubelet: KubeletPki | undefined;
  const kubeletFlags: string[] = [];
  if (streamingBin) {
    const kubeletPkiDir = join(pki, "kubelet");
    execFileSync(streamingBin, ["pki", kubeletPkiDir], { stdio: ["ignore", "ignore", "pipe"] });
    kubelet = {
      caFile: join(kubeletPkiDir, "ca.crt"),
      certFile: join(kubeletPkiDir, "kubelet.crt"),
      keyFile: join(kubeletPkiDir, "kubelet.key"),
    };
    kubeletFlags.push(
      `--kubelet-client-certificate=${join(kubeletPkiDir, "apiserver-kubelet-client.crt")}`,
      `--kubelet-client-key=${join(kubeletPkiDir, "apiserver-kubelet-client.key")}`,
      // verify the kubelet's serving certificate, as production should
      `--kubelet-certificate-authority=${kubelet.caFile}`,
      "--kubelet-preferred-address-types=InternalIP",
    );
  }

  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const etcd = supervisor.start("etcd", etcdBin, [
    "--name=stowage",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${etcdUrl}`,
    `--advertise-client-urls=${etcdUrl}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=stowage=http://127.0.0.1:${etcdPeer}`,
    "--unsafe-no-fsync",
    "--log-level=warn",
  ]);
  await waitUntil("etcd", async () => (await fetch(`${etcdUrl}/health`)).ok, {
    process: etcd,
    timeoutMs: 30_000,
  });

  const server = `https://127.0.0.1:${apiPort}`;
  const apiserver = supervisor.start("kube-apiserver", apiserverBin, [
    `--etcd-servers=${etcdUrl}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    "--advertise-address=127.0.0.1",
    "--endpoint-reconciler-type=none",
    `--cert-dir=${pki}`,
    "--service-cluster-ip-range=10.0.0.0/16",
    "--service-node-port-range=30000-32767",
    `--service-account-issuer=${server}`,
    `--service-account-key-file=${saKey}`,
    `--service-account-signing-key-file=${saKey}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--authorization-mode=RBAC",
    "--allow-privileged=true",
    "--profiling=false",
    ...kubeletFlags,
    "--v=1",
  ]);
  const caFile = join(pki, "apiserver.crt");
  let ca: Buffer | undefined;
  await waitUntil(
    "kube-apiserver /readyz",
    async () => {
      // read anew on every attempt: the apiserver writes its self-signed cert in place, so an early read
      // can catch it half-written, and caching that would fail every later attempt with "self-signed
      // certificate in certificate chain"
      const current = readFileSync(caFile);
      const ready = (await getJson(`${server}/readyz`, adminToken, current)).status === 200;
      if (ready) ca = current;
      return ready;
    },
    { process: apiserver, timeoutMs: 90_000, intervalMs: 250 },
  );
  await waitUntil(
    "default namespace",
    async () => (await getJson(`${server}/api/v1/namespaces/default`, adminToken, ca!)).status === 200,
    { process: apiserver },
  );

  const kubeconfig = join(dir, "admin.kubeconfig");
  writeFileSync(kubeconfig, kubeconfigYaml(server, caFile, "stowage-admin", adminToken));
  const limitedKubeconfig = join(dir, "limited.kubeconfig");
  writeFileSync(limitedKubeconfig, kubeconfigYaml(server, caFile, "stowage-limited", limitedToken));

  const kcm = supervisor.start("kube-controller-manager", kcmBin, [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--leader-elect=false",
    "--bind-address=127.0.0.1",
    `--secure-port=${kcmPort}`,
    `--cert-dir=${join(dir, "kcm-pki")}`,
    `--service-account-private-key-file=${saKey}`,
    `--root-ca-file=${caFile}`,
    "--use-service-account-credentials=false",
    "--cluster-cidr=10.244.0.0/16",
    "--pvclaimbinder-sync-period=1s",
    // the default client QPS (20) makes ReplicaSets of 10k Deployments take ~15 min; the bench seeds that many
    "--kube-api-qps=200",
    "--kube-api-burst=400",
    "--v=1",
  ]);
  await waitUntil(
    "kube-controller-manager (default ServiceAccount)",
    async () =>
      (await getJson(`${server}/api/v1/namespaces/default/serviceaccounts/default`, adminToken, ca!))
        .status === 200,
    { process: kcm, timeoutMs: 60_000, intervalMs: 250 },
  );
  if (kubelet) kubeletPkis.set(server, kubelet);
  return {
    server,
    kubeconfig,
    limitedKubeconfig,
    adminToken,
    caFile,
    etcdUrl,
    ...(kubelet ? { kubelet } : {}),
    startupMs: Date.now() - began,
    processes: [etcd, apiserver, kcm],
  };
};
