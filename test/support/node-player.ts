/**
 * The harness plays a node. There is no kubelet here, so restic Jobs would never run: this registers a
 * Node object (and keeps its Ready condition and Lease fresh, so the node-lifecycle controller neither
 * taints nor evicts), watches the pods bound to it (polling `spec.nodeName=<node>`), and acts as their
 * kubelet:
 *
 * - it lays out their volumes under a local directory that stands for `/var/lib/kubelet`
 *   (`pods/<uid>/volumes/kubernetes.io~empty-dir/<name>`, `…~local-volume/<pv>`, `…~csi/<pv>/mount`);
 * - containers whose image is in `runImages` are run as LOCAL PROCESSES (their command and args — a
 *   container without `command` gets its image's entry point from `entrypoints` — env resolved —
 *   values, `secretKeyRef`/`configMapKeyRef` and `envFrom` read through the apiserver, waiting for a
 *   missing one as a kubelet retries, `fieldRef` — and the real restic on PATH). There are no mount
 *   namespaces: paths inside the container are mapped to local paths by rewriting every argument, env
 *   value and `workingDir` that starts with a `volumeMount`'s `mountPath` or with the
 *   `terminationMessagePath`;
 * - it fills `configMap`, `secret`, `downwardAPI` and `projected` volumes as the kubelet does. A
 *   projected `serviceAccountToken` is a real token from the TokenRequest API, bound to the pod (the
 *   ServiceAccount admission plugin adds such a volume, with the `kube-root-ca.crt` ConfigMap and the
 *   namespace, to every pod that automounts its token). As a kubelet does, it sets
 *   `KUBERNETES_SERVICE_HOST`/`_PORT` — here the test apiserver's address — so a process finds the API
 *   the in-cluster way. Code reads the token from the fixed path
 *   `/var/run/secrets/kubernetes.io/serviceaccount`, which no rewriting reaches: for a container that
 *   mounts a volume there, it also sets `STOWAGE_SERVICEACCOUNT_DIR` (lib/kube/config.ts) to the local
 *   directory. Tokens are not refreshed (they live an hour; tests are shorter);
 * - other containers (nginx, …) cannot run here: they are reported running, without running;
 * - the outcome goes back through the real apiserver (`pods/status`): phase, container states, exit
 *   codes and the termination message file's content. The real kube-controller-manager then completes
 *   or fails Jobs itself;
 * - it plays the kubelet's streaming endpoint, so `pods/exec` goes through the real apiserver exactly
 *   as in production: the Node advertises `InternalIP 127.0.0.1` and `daemonEndpoints.kubeletEndpoint`,
 *   where `kubelet-streaming` (test/support/kubelet-streaming, Kubernetes' own remotecommand server)
 *   serves `/exec/<namespace>/<pod>/<container>` over TLS, requiring the apiserver's kubelet client
 *   certificate. Each exec runs as a LOCAL PROCESS in the pod's mapped directories (its command,
 *   env and `workingDir` rewritten as for a run container) — also for containers reported running
 *   without running (nginx, postgres: the host's sh, echo, sleep run instead). Every exec is recorded
 *   in `execs`. When the apiserver drops the stream (it does when its client's connection drops; after
 *   a graceful WebSocket close it keeps streaming until the command ends, as in production) or the
 *   pod is deleted, the command is killed with its process group;
 * - running pods get `Ready`/`ContainersReady` conditions and ready container statuses, unless a test
 *   holds them not ready (`holdNotReady`/`release`, or the annotation `test.stowage.dev/not-ready`);
 * - pods being deleted are finished off (`gracePeriodSeconds: 0`), as a kubelet confirms deletion;
 * - with `schedule`, it also binds the unscheduled pods of those namespaces to itself (the harness
 *   plays the scheduler, as restored pods lose their `nodeName`).
 *
 * Tests that rely on it say "(harness plays the node)" in their names.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster, KubeObject } from "../../lib/index.ts";
import { ConflictError, isNotFound } from "../../lib/index.ts";
import { requireBinary } from "./binaries.ts";
import { type KubeletPki, kubeletPkiOf } from "./control-plane.ts";
import { uniqueSuffix } from "./kube.ts";

export interface NodePlayerOptions {
  readonly cluster: Cluster;
  /** @default `harness-node-<random>` */
  readonly name?: string;
  /** Local directory standing for the node's kubelet root. */
  readonly kubeletDir: string;
  /** The kubelet root hostPath volumes refer to. @default "/var/lib/kubelet" */
  readonly hostKubeletRoot?: string;
  /** Images whose containers are executed as local processes. */
  readonly runImages: readonly string[];
  /**
   * The entry point (Dockerfile `ENTRYPOINT`) of images in `runImages`, as a local command line, for
   * containers that give only `args`; e.g. `{ "stowage/stowage:0.1.0": [process.execPath, "lib/cli/bin.js"] }`.
   * @default {}
   */
  readonly entrypoints?: Readonly<Record<string, readonly string[]>>;
  /** Directories put first on PATH of executed containers. @default [] */
  readonly path?: readonly string[];
  /** Namespaces whose unscheduled pods are bound to this node. @default [] */
  readonly schedule?: readonly string[];
  /** @default 200 */
  readonly pollMs?: number;
  /**
   * The kubelet PKI to serve `pods/exec` with; `false` serves none (exec on this node then fails).
   * @default the PKI of the control plane at `cluster.server`, when started with `kubeletStreaming`
   * (in this process, or the shared test env's)
   */
  readonly kubelet?: KubeletPki | false;
}

/** One `pods/exec` the harness node ran (or refused), in the order they arrived. */
export interface ExecRecord {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** The command as the client sent it (before path rewriting). */
  readonly command: readonly string[];
  /** The command line that ran locally, after path rewriting; empty when refused. */
  readonly argv: readonly string[];
  /** undefined while running, or when it could not start. */
  exitCode?: number | undefined;
  /**
   * The process group was killed before the command ended: its connection from the apiserver dropped
   * (the client's connection dropped), or its pod was deleted.
   */
  killed: boolean;
  /** Why it was refused or could not start. */
  error?: string;
  readonly startedAt: number;
  finishedAt?: number;
}

/** One container the harness executed. */
export interface ExecutedContainer {
  readonly pod: string;
  readonly namespace: string;
  readonly container: string;
  readonly init: boolean;
  readonly exitCode: number;
  readonly startedAt: number;
  readonly finishedAt: number;
}

export interface NodePlayer {
  readonly name: string;
  readonly kubeletDir: string;
  /** Local directory of an emptyDir volume of a pod on this node. */
  emptyDir(podUid: string, volume: string): string;
  /** Every container executed so far. */
  readonly executed: readonly ExecutedContainer[];
  /** The last 64 KiB of output (stdout and stderr) of a container of a pod, running or finished. */
  logs(namespace: string, pod: string, container: string): string;
  /** Every `pods/exec` that reached this node, refused ones included. */
  readonly execs: readonly ExecRecord[];
  /** The port of the streaming endpoint (`daemonEndpoints.kubeletEndpoint.Port`); 0 when none. */
  readonly kubeletPort: number;
  /**
   * Keeps a pod (by name, existing or not yet) reported not ready — Running, but without `Ready`
   * and with unready containers — until `release`.
   */
  holdNotReady(namespace: string, pod: string): void;
  /** Lets a pod held by `holdNotReady` become ready (within a poll interval). */
  release(namespace: string, pod: string): void;
  stop(): Promise<void>;
}

/** A pod with this annotation set to "true" is kept not ready while it has it. */
export const NOT_READY_ANNOTATION = "test.stowage.dev/not-ready";

/** The kubelet PKI of the control plane at `server`: started in this process or the shared test env's. */
const defaultKubeletPki = (server: string): KubeletPki | undefined => {
  const own = kubeletPkiOf(server);
  if (own) return own;
  const file = process.env.STOWAGE_TEST_ENV;
  if (!file || !existsSync(file)) return undefined;
  const env = JSON.parse(readFileSync(file, "utf8")) as { kube?: { server?: string; kubelet?: KubeletPki } };
  return env.kube?.server === server ? env.kube.kubelet : undefined;
};

const PATH_DELIMITERS = "\\s='\"`:;|&<>(),";

/**
 * Rewrites container paths to local ones: every occurrence of a mount path at path boundaries — the
 * whole value, a prefix (`/data/f`), or inside it (`sh -c "echo x > /data/f"`, `--out=/data`).
 */
const pathMapper = (mounts: ReadonlyArray<readonly [string, string]>): ((value: string) => string) => {
  const usable = mounts.filter(([from]) => from !== "").sort(([a], [b]) => b.length - a.length);
  if (usable.length === 0) return (value) => value;
  const targets = new Map(usable.map(([from, to]) => [from, to]));
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(
    `(^|[${PATH_DELIMITERS}])(${usable.map(([from]) => literal(from)).join("|")})(?=$|[/${PATH_DELIMITERS}])`,
    "g",
  );
  return (value) => value.replace(pattern, (_, before: string, from: string) => before + targets.get(from));
};

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      configMapKeyRef?: { name: string; key: string; optional?: boolean };
      fieldRef?: { fieldPath: string };
    };
  }>;
  envFrom?: Array<{
    prefix?: string;
    secretRef?: { name: string; optional?: boolean };
    configMapRef?: { name: string; optional?: boolean };
  }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}

interface ContainerStatus {
  name: string;
  state?: { running?: unknown; terminated?: unknown; waiting?: unknown };
}

interface PodSpec {
  nodeName?: string;
  serviceAccountName?: string;
  volumes?: Array<Record<string, unknown> & { name: string }>;
  initContainers?: Container[];
  containers: Container[];
}

/** Where the kubelet mounts a pod's service-account token, CA and namespace. */
const SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";

interface KeyToPath {
  key: string;
  path: string;
}
interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
}
interface ProjectedSource {
  serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number };
  configMap?: { name: string; items?: KeyToPath[] };
  secret?: { name: string; items?: KeyToPath[] };
  downwardAPI?: { items?: DownwardItem[] };
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const microTime = () => new Date().toISOString().replace(/Z$/, "000Z");

/** Starts playing a node; `stop()` ends every process it runs and deletes the Node. */
export const startNodePlayer = async (options: NodePlayerOptions): Promise<NodePlayer> => {
  const { cluster } = options;
  const name = options.name ?? `harness-node-${uniqueSuffix()}`;
  const hostRoot = (options.hostKubeletRoot ?? "/var/lib/kubelet").replace(/\/+$/, "");
  const pollMs = options.pollMs ?? 200;
  const scratch = mkdtempSync(join(tmpdir(), "stowage-node-"));
  const executed: ExecutedContainer[] = [];
  const output = new Map<string, string>();
  const started = new Set<string>();
  const processes = new Map<string, Set<ChildProcess>>();
  const execs: ExecRecord[] = [];
  /** The process group of each exec still running. */
  const execPids = new Map<ExecRecord, number>();
  /** The local directories of the volumes of each started pod, by uid. */
  const podVolumes = new Map<string, Map<string, string>>();
  const held = new Set<string>();
  let stopped = false;

  // the kubelet's streaming endpoint: kubelet-streaming, asking this process how to run each exec
  const pki = options.kubelet === false ? undefined : (options.kubelet ?? defaultKubeletPki(cluster.server));
  let callback: Server | undefined;
  let streaming: ChildProcess | undefined;
  let kubeletPort = 0;
  if (pki) {
    callback = createServer((req, res) => {
      serveCallback(req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: `harness node: ${(error as Error).message}` }));
      });
    });
    await new Promise<void>((resolve) => callback!.listen(0, "127.0.0.1", resolve));
    const callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}`;
    streaming = spawn(
      requireBinary("KUBELET_STREAMING"),
      [
        "serve",
        `--cert=${pki.certFile}`,
        `--key=${pki.keyFile}`,
        `--client-ca=${pki.caFile}`,
        `--callback=${callbackUrl}`,
        "--listen=127.0.0.1:0",
        // if this process dies without stop(), the pipe closes and the server ends with its execs
        "--exit-with-stdin",
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let errors = "";
    streaming.stderr?.on("data", (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-4096);
    });
    kubeletPort = await new Promise<number>((resolve, reject) => {
      let out = "";
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n")[0];
        if (out.includes("\n") && line) {
          streaming!.stdout?.off("data", onData);
          resolve((JSON.parse(line) as { port: number }).port);
        }
      };
      streaming!.stdout?.on("data", onData);
      streaming!.once("exit", (code) =>
        reject(new Error(`kubelet-streaming exited (code ${code}) before listening: ${errors}`)),
      );
    });
  }

  const ready = () => ({
    type: "Ready",
    status: "True",
    reason: "KubeletReady",
    message: "the Stowage test harness plays this node",
    lastHeartbeatTime: now(),
    lastTransitionTime: now(),
  });
  await cluster.create("nodes", {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "stowage.dev/harness-node": "true",
      },
    },
    spec: {},
    status: {
      conditions: [ready()],
      addresses: [
        { type: "InternalIP", address: "127.0.0.1" },
        { type: "Hostname", address: name },
      ],
      ...(kubeletPort ? { daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } } : {}),
      capacity: { cpu: "2", memory: "4Gi", pods: "110" },
      allocatable: { cpu: "2", memory: "4Gi", pods: "110" },
    },
  });
  const heartbeat = async () => {
    await cluster.request({
      method: "PATCH",
      path: `/api/v1/nodes/${name}/status`,
      body: { status: { conditions: [ready()] } },
      contentType: "application/strategic-merge-patch+json",
    });
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: "kube-node-lease" },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime() },
    };
    const existing = await cluster.tryGet("leases.coordination.k8s.io", name, {
      namespace: "kube-node-lease",
    });
    if (existing) await cluster.update("leases.coordination.k8s.io", { ...existing, spec: lease.spec });
    else await cluster.create("leases.coordination.k8s.io", lease);
  };
  await heartbeat();

  const kubeletPath = (podUid: string, ...rest: string[]) =>
    join(options.kubeletDir, "pods", podUid, ...rest);

  /** The files of a ConfigMap or Secret (`items` picks and renames keys); {} when it does not exist. */
  const objectFiles = async (
    resource: "configmaps" | "secrets",
    objectName: string,
    namespace: string,
    items: KeyToPath[] | undefined,
  ): Promise<Record<string, Buffer>> => {
    const object = await cluster.tryGet(resource, objectName, { namespace });
    if (!object) return {}; // a kubelet would hold the pod; tests mount absent ones on purpose
    const data: Record<string, Buffer> = {};
    const raw = object as { data?: Record<string, string>; binaryData?: Record<string, string> };
    for (const [key, value] of Object.entries(raw.data ?? {}))
      data[key] = resource === "secrets" ? Buffer.from(value, "base64") : Buffer.from(value, "utf8");
    for (const [key, value] of Object.entries(raw.binaryData ?? {})) data[key] = Buffer.from(value, "base64");
    if (!items) return data;
    return Object.fromEntries(
      items.filter((item) => data[item.key] !== undefined).map((item) => [item.path, data[item.key]!]),
    );
  };

  const downwardFiles = (pod: KubeObject, items: DownwardItem[] | undefined): Record<string, Buffer> =>
    Object.fromEntries(
      (items ?? []).map((item) => [item.path, Buffer.from(fieldOf(pod, item.fieldRef?.fieldPath ?? ""))]),
    );

  /** A real token for the pod's ServiceAccount, bound to the pod, as the kubelet requests it. */
  const serviceAccountToken = async (
    pod: KubeObject,
    source: { audience?: string; expirationSeconds?: number },
  ): Promise<Buffer> => {
    const namespace = pod.metadata?.namespace ?? "";
    const account = (pod.spec as PodSpec).serviceAccountName ?? "default";
    const response = await cluster.request({
      method: "POST",
      path: `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`,
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: {
          ...(source.audience ? { audiences: [source.audience] } : {}),
          expirationSeconds: source.expirationSeconds ?? 3600,
          boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata?.name, uid: pod.metadata?.uid },
        },
      },
    });
    const token = (JSON.parse(response.body.toString()) as { status: { token: string } }).status.token;
    return Buffer.from(token, "utf8");
  };

  /** The files of a configMap, secret, downwardAPI or projected volume; undefined for other kinds. */
  const volumeFiles = async (
    pod: KubeObject,
    volume: Record<string, unknown>,
  ): Promise<Record<string, Buffer> | undefined> => {
    const namespace = pod.metadata?.namespace ?? "";
    if (volume.configMap) {
      const source = volume.configMap as { name: string; items?: KeyToPath[] };
      return objectFiles("configmaps", source.name, namespace, source.items);
    }
    if (volume.secret) {
      const source = volume.secret as { secretName: string; items?: KeyToPath[] };
      return objectFiles("secrets", source.secretName, namespace, source.items);
    }
    if (volume.downwardAPI)
      return downwardFiles(pod, (volume.downwardAPI as { items?: DownwardItem[] }).items);
    if (!volume.projected) return undefined;
    const files: Record<string, Buffer> = {};
    for (const source of (volume.projected as { sources?: ProjectedSource[] }).sources ?? []) {
      if (source.serviceAccountToken)
        files[source.serviceAccountToken.path] = await serviceAccountToken(pod, source.serviceAccountToken);
      if (source.configMap)
        Object.assign(
          files,
          await objectFiles("configmaps", source.configMap.name, namespace, source.configMap.items),
        );
      if (source.secret)
        Object.assign(
          files,
          await objectFiles("secrets", source.secret.name, namespace, source.secret.items),
        );
      if (source.downwardAPI) Object.assign(files, downwardFiles(pod, source.downwardAPI.items));
    }
    return files;
  };

  /** Local directories of the pod's volumes, as the kubelet would lay them out. */
  const setUpVolumes = async (pod: KubeObject): Promise<Map<string, string>> => {
    const uid = pod.metadata?.uid ?? "";
    const dirs = new Map<string, string>();
    for (const volume of (pod.spec as PodSpec).volumes ?? []) {
      let dir: string | undefined;
      const files = await volumeFiles(pod, volume);
      if (files) {
        const plugin = volume.configMap
          ? "configmap"
          : volume.secret
            ? "secret"
            : volume.downwardAPI
              ? "downward-api"
              : "projected";
        dir = kubeletPath(uid, "volumes", `kubernetes.io~${plugin}`, volume.name);
        for (const [path, content] of Object.entries(files)) {
          mkdirSync(dirname(join(dir, path)), { recursive: true });
          writeFileSync(join(dir, path), content, { mode: 0o600 });
        }
      } else if (volume.emptyDir !== undefined)
        dir = kubeletPath(uid, "volumes", "kubernetes.io~empty-dir", volume.name);
      else if (volume.hostPath) {
        const path = (volume.hostPath as { path: string }).path;
        if (path === hostRoot || path.startsWith(`${hostRoot}/`))
          dir = join(options.kubeletDir, path.slice(hostRoot.length));
        else throw new Error(`the harness node maps only hostPaths under ${hostRoot}, not ${path}`);
      } else if (volume.persistentVolumeClaim) {
        const claim = (volume.persistentVolumeClaim as { claimName: string }).claimName;
        const pvc = await cluster.tryGet("persistentvolumeclaims", claim, {
          namespace: pod.metadata?.namespace,
        });
        const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
        const pv = pvName ? await cluster.tryGet("persistentvolumes", pvName) : undefined;
        const spec = (pv?.spec ?? {}) as Record<string, unknown>;
        if (pvName && spec.csi) dir = kubeletPath(uid, "volumes", "kubernetes.io~csi", pvName, "mount");
        else if (pvName && spec.local)
          dir = kubeletPath(uid, "volumes", "kubernetes.io~local-volume", pvName);
        else if (pvName && spec.nfs) dir = kubeletPath(uid, "volumes", "kubernetes.io~nfs", pvName);
      }
      if (dir) {
        mkdirSync(dir, { recursive: true });
        dirs.set(volume.name, dir);
      }
    }
    return dirs;
  };

  const fieldOf = (pod: KubeObject, field: string): string => {
    if (field === "metadata.name") return pod.metadata?.name ?? "";
    if (field === "metadata.namespace") return pod.metadata?.namespace ?? "";
    if (field === "metadata.uid") return pod.metadata?.uid ?? "";
    if (field === "spec.nodeName") return name;
    if (field === "spec.serviceAccountName") return (pod.spec as PodSpec).serviceAccountName ?? "";
    throw new Error(`the harness node resolves no fieldRef ${field}`);
  };

  /**
   * The data of a Secret or ConfigMap as strings; undefined when it does not exist. A `required` one is
   * waited for while the pod lives, as a kubelet holds the container back and retries.
   */
  const stringData = async (
    resource: "secrets" | "configmaps",
    objectName: string,
    pod: KubeObject,
    required = false,
  ) => {
    const { name: podName = "", namespace, uid } = pod.metadata ?? {};
    let object = await cluster.tryGet(resource, objectName, { namespace });
    while (!object && required) {
      const live = await cluster.tryGet("pods", podName, { namespace });
      if (stopped || live?.metadata?.uid !== uid || live?.metadata?.deletionTimestamp) break;
      await sleep(pollMs);
      object = await cluster.tryGet(resource, objectName, { namespace });
    }
    if (!object) return undefined;
    const data = (object.data ?? {}) as Record<string, string>;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [
        k,
        resource === "secrets" ? Buffer.from(v, "base64").toString("utf8") : v,
      ]),
    );
  };

  const resolveEnv = async (pod: KubeObject, container: Container): Promise<Record<string, string>> => {
    const env: Record<string, string> = {
      PATH: [...(options.path ?? []), process.env.PATH ?? "/usr/bin:/bin"].join(":"),
      HOME: scratch,
      TMPDIR: scratch,
    };
    // as the kubelet: the API's address for every container (here the test apiserver, not a Service IP)
    const api = new URL(cluster.server);
    env.KUBERNETES_SERVICE_HOST = api.hostname.replace(/^\[|\]$/g, "");
    env.KUBERNETES_SERVICE_PORT = api.port || "443";
    for (const from of container.envFrom ?? []) {
      const ref = from.secretRef ?? from.configMapRef;
      if (!ref) continue;
      const resource = from.secretRef ? "secrets" : "configmaps";
      const data = await stringData(resource, ref.name, pod, !ref.optional);
      if (!data && !ref.optional) throw new Error(`envFrom: ${resource} ${ref.name} does not exist`);
      for (const [key, value] of Object.entries(data ?? {})) env[`${from.prefix ?? ""}${key}`] = value;
    }
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) env[variable.name] = variable.value;
      const ref = variable.valueFrom?.secretKeyRef ?? variable.valueFrom?.configMapKeyRef;
      if (ref) {
        const resource = variable.valueFrom?.secretKeyRef ? "secrets" : "configmaps";
        const value = (await stringData(resource, ref.name, pod, !ref.optional))?.[ref.key];
        if (value !== undefined) env[variable.name] = value;
        else if (!ref.optional) throw new Error(`${resource} ${ref.name} has no key ${ref.key}`);
      }
      const field = variable.valueFrom?.fieldRef?.fieldPath;
      if (field) env[variable.name] = fieldOf(pod, field);
    }
    return env;
  };

  /** A container's mounts (container path → local path) and the termination message file. */
  const containerMounts = (pod: KubeObject, container: Container, volumes: Map<string, string>) => {
    const mounts: Array<[string, string]> = [];
    for (const mount of container.volumeMounts ?? []) {
      const dir = volumes.get(mount.name);
      if (dir)
        mounts.push([mount.mountPath.replace(/\/+$/, ""), mount.subPath ? join(dir, mount.subPath) : dir]);
    }
    const termination = join(scratch, `${pod.metadata?.uid ?? ""}-${container.name}-termination-log`);
    mounts.push([container.terminationMessagePath ?? "/dev/termination-log", termination]);
    return { mounts, termination, map: pathMapper(mounts) };
  };

  /** Runs one container as a local process; resolves with its exit code and termination message. */
  const runContainer = async (
    pod: KubeObject,
    container: Container,
    volumes: Map<string, string>,
    init: boolean,
  ) => {
    const uid = pod.metadata?.uid ?? "";
    const { mounts, termination, map } = containerMounts(pod, container, volumes);
    writeFileSync(termination, "");
    // the pod's command and args are paths inside the container: map them; an image's entry point is a
    // path on this machine (e.g. the checkout under /tmp, which a /tmp mount would otherwise capture)
    const argv = container.command
      ? [...container.command, ...(container.args ?? [])].map(map)
      : [...(options.entrypoints?.[container.image ?? ""] ?? []), ...(container.args ?? []).map(map)];
    const env = Object.fromEntries(
      Object.entries(await resolveEnv(pod, container)).map(([k, v]) => [k, map(v)]),
    );
    const serviceAccount = mounts.find(([from]) => from === SERVICE_ACCOUNT_MOUNT);
    if (serviceAccount) env.STOWAGE_SERVICEACCOUNT_DIR = serviceAccount[1];
    const cwd = container.workingDir ? map(container.workingDir) : scratch;
    const begin = Date.now();
    const child = spawn(argv[0] ?? "/bin/false", argv.slice(1), {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const own = processes.get(uid) ?? new Set();
    processes.set(uid, own);
    own.add(child);
    let logs = "";
    const logKey = `${pod.metadata?.namespace}/${pod.metadata?.name}/${container.name}`;
    const keep = (chunk: Buffer) => {
      logs = (logs + chunk.toString("utf8")).slice(-65536);
      output.set(logKey, logs);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const exitCode = await new Promise<number>((resolve) => {
      child.on("error", (error) => {
        // what a kubelet reports as a container that could not start: say why in its log
        keep(Buffer.from(`harness node: cannot start ${argv[0] ?? "(no command)"}: ${error.message}\n`));
        resolve(127);
      });
      child.on("close", (code, signal) => resolve(code ?? (signal ? 137 : 1)));
    });
    own.delete(child);
    let message = readFileSync(termination, "utf8").slice(0, 4096);
    if (message === "" && exitCode !== 0 && container.terminationMessagePolicy === "FallbackToLogsOnError") {
      message = logs.slice(-2048);
    }
    executed.push({
      pod: pod.metadata?.name ?? "",
      namespace: pod.metadata?.namespace ?? "",
      container: container.name,
      init,
      exitCode,
      startedAt: begin,
      finishedAt: Date.now(),
    });
    return { exitCode, message, startedAt: new Date(begin).toISOString().replace(/\.\d{3}Z$/, "Z") };
  };

  /** Rewrites the pod's status through `pods/status`, retrying on conflicts. */
  const writeStatus = async (pod: KubeObject, status: Record<string, unknown>) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const current = await cluster.tryGet("pods", pod.metadata?.name ?? "", {
        namespace: pod.metadata?.namespace,
      });
      if (!current || current.metadata?.uid !== pod.metadata?.uid || current.metadata?.deletionTimestamp)
        return;
      try {
        await cluster.update(
          "pods",
          { ...current, status: { ...(current.status as object), ...status } },
          {
            subresource: "status",
            namespace: pod.metadata?.namespace,
          },
        );
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  };

  const running = (c: Container, startedAt: string, ready = true) => ({
    name: c.name,
    state: { running: { startedAt } },
    ready,
    started: true,
    restartCount: 0,
    image: c.image ?? "",
    imageID: "",
  });
  const terminated = (c: Container, outcome: { exitCode: number; message: string; startedAt: string }) => ({
    name: c.name,
    state: {
      terminated: {
        exitCode: outcome.exitCode,
        reason: outcome.exitCode === 0 ? "Completed" : "Error",
        ...(outcome.message ? { message: outcome.message } : {}),
        startedAt: outcome.startedAt,
        finishedAt: now(),
      },
    },
    ready: false,
    started: false,
    restartCount: 0,
    image: c.image ?? "",
    imageID: "",
  });

  const heldKey = (namespace: string, pod: string) => `${namespace}/${pod}`;
  /** Whether a running pod is to be reported ready now. */
  const readyNow = (pod: KubeObject) =>
    !held.has(heldKey(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "")) &&
    pod.metadata?.annotations?.[NOT_READY_ANNOTATION] !== "true";
  const podConditions = (ready: boolean, reason?: string) => {
    const at = now();
    const readiness = ready
      ? { status: "True" }
      : { status: "False", reason: reason ?? "ContainersNotReady" };
    return [
      { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: at },
      { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: at },
      { type: "ContainersReady", ...readiness, lastProbeTime: null, lastTransitionTime: at },
      { type: "Ready", ...readiness, lastProbeTime: null, lastTransitionTime: at },
    ];
  };
  /** Pods reported Running whose readiness follows holds: uid → what was last reported. */
  const readiness = new Map<
    string,
    { pod: KubeObject; ready: boolean; containerStatuses: Map<string, Record<string, unknown>> }
  >();

  /** Reports a running pod ready or not ready, as holds and its annotation say now. */
  const reconcileReadiness = async (live: KubeObject) => {
    const entry = readiness.get(live.metadata?.uid ?? "");
    if (!entry) return;
    const ready = readyNow(live);
    if (ready === entry.ready) return;
    entry.ready = ready;
    for (const [key, status] of entry.containerStatuses)
      if ((status.state as { running?: unknown }).running)
        entry.containerStatuses.set(key, { ...status, ready });
    await writeStatus(entry.pod, {
      conditions: podConditions(ready),
      containerStatuses: [...entry.containerStatuses.values()],
    });
  };

  /** Acts as the kubelet for one pod: volumes, init containers in order, then the containers. */
  const startPod = async (pod: KubeObject) => {
    const spec = pod.spec as PodSpec;
    const volumes = await setUpVolumes(pod);
    podVolumes.set(pod.metadata?.uid ?? "", volumes);
    const runs = (c: Container) => options.runImages.includes(c.image ?? "");
    const base = { hostIP: "127.0.0.1", podIP: "127.0.0.1", startTime: now() };
    const initStatuses: unknown[] = [];
    for (const container of spec.initContainers ?? []) {
      if (!runs(container)) {
        initStatuses.push(terminated(container, { exitCode: 0, message: "", startedAt: now() }));
        continue;
      }
      await writeStatus(pod, {
        ...base,
        phase: "Pending",
        initContainerStatuses: [...initStatuses, running(container, now())],
      });
      const outcome = await runContainer(pod, container, volumes, true);
      initStatuses.push(terminated(container, outcome));
      if (outcome.exitCode !== 0) {
        await writeStatus(pod, { ...base, phase: "Failed", initContainerStatuses: initStatuses });
        return;
      }
    }
    const startedAt = now();
    const ready = readyNow(pod);
    const containerStatuses = new Map(
      spec.containers.map((c) => [c.name, running(c, startedAt, ready) as Record<string, unknown>]),
    );
    const init = initStatuses.length ? { initContainerStatuses: initStatuses } : {};
    const uid = pod.metadata?.uid ?? "";
    readiness.set(uid, { pod, ready, containerStatuses });
    await writeStatus(pod, {
      ...base,
      ...init,
      phase: "Running",
      conditions: podConditions(ready),
      containerStatuses: [...containerStatuses.values()],
    });
    const executable = spec.containers.filter(runs);
    if (executable.length < spec.containers.length) {
      // containers the harness cannot run are reported running; the pod never ends by itself
      await Promise.all(executable.map((c) => runContainer(pod, c, volumes, false)));
      return;
    }
    const outcomes = await Promise.all(
      executable.map(async (c) => {
        const outcome = await runContainer(pod, c, volumes, false);
        containerStatuses.set(c.name, terminated(c, outcome));
        return outcome.exitCode;
      }),
    );
    readiness.delete(uid);
    const phase = outcomes.every((code) => code === 0) ? "Succeeded" : "Failed";
    await writeStatus(pod, {
      ...base,
      ...init,
      phase,
      conditions: podConditions(false, "PodCompleted"),
      containerStatuses: [...containerStatuses.values()],
    });
  };

  /**
   * The streaming endpoint's questions: how to run an exec (`/resolve`: the pod must be bound to this
   * node and started, the container one of its own), and how it ended (`/finished`).
   */
  async function serveCallback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    if (req.url === "/started") {
      const record = execs[Number(body.id)];
      if (record && typeof body.pid === "number") execPids.set(record, body.pid);
      return reply(200, {});
    }
    if (req.url === "/finished") {
      const record = execs[Number(body.id)];
      if (record) {
        record.exitCode = typeof body.exitCode === "number" && body.exitCode >= 0 ? body.exitCode : undefined;
        record.killed ||= body.killed === true;
        if (typeof body.error === "string" && body.error) record.error = body.error;
        record.finishedAt = Date.now();
        execPids.delete(record);
      }
      return reply(200, {});
    }
    if (req.url !== "/resolve") return reply(404, { message: `harness node: no callback ${req.url}` });
    const namespace = String(body.namespace);
    const podName = String(body.pod);
    const containerName = String(body.container);
    const command = (body.command as string[] | undefined) ?? [];
    const record: ExecRecord = {
      namespace,
      pod: podName,
      container: containerName,
      command,
      argv: [],
      killed: false,
      startedAt: Date.now(),
    };
    execs.push(record);
    const refuse = (message: string) => {
      record.error = message;
      record.finishedAt = Date.now();
      reply(404, { message });
    };
    const pod = await cluster.tryGet("pods", podName, { namespace });
    if (!pod) return refuse(`pod ${namespace}/${podName} does not exist`);
    const spec = pod.spec as PodSpec;
    if (spec.nodeName !== name)
      return refuse(`pod ${namespace}/${podName} is not bound to the harness node ${name}`);
    const containers = [...spec.containers, ...(spec.initContainers ?? [])];
    const container = containers.find((c) => c.name === containerName);
    if (!container)
      return refuse(
        `container "${containerName}" not found in pod ${namespace}/${podName} (it has ${containers.map((c) => `"${c.name}"`).join(", ")})`,
      );
    const volumes = podVolumes.get(pod.metadata?.uid ?? "");
    if (!volumes) return refuse(`pod ${namespace}/${podName} has not been started on the harness node yet`);
    // as a kubelet: only a running container takes an exec
    const podStatus = pod.status as
      | { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] }
      | undefined;
    const state = [...(podStatus?.containerStatuses ?? []), ...(podStatus?.initContainerStatuses ?? [])].find(
      (c) => c.name === containerName,
    )?.state;
    if (!state?.running)
      return refuse(
        `container "${containerName}" of pod ${namespace}/${podName} is not running (${state?.terminated ? "it terminated" : "it has not started"})`,
      );
    const { mounts, map } = containerMounts(pod, container, volumes);
    const env = Object.fromEntries(
      Object.entries(await resolveEnv(pod, container)).map(([k, v]) => [k, map(v)]),
    );
    const serviceAccount = mounts.find(([from]) => from === SERVICE_ACCOUNT_MOUNT);
    if (serviceAccount) env.STOWAGE_SERVICEACCOUNT_DIR = serviceAccount[1];
    const argv = command.map(map);
    (record as { argv: readonly string[] }).argv = argv;
    reply(200, {
      id: String(execs.length - 1),
      argv,
      env,
      cwd: container.workingDir ? map(container.workingDir) : scratch,
    });
  }

  const bind = async (pod: KubeObject) => {
    const ns = pod.metadata?.namespace ?? "";
    const podName = pod.metadata?.name ?? "";
    await cluster
      .request({
        method: "POST",
        path: `/api/v1/namespaces/${ns}/pods/${podName}/binding`,
        body: {
          apiVersion: "v1",
          kind: "Binding",
          metadata: { name: podName },
          target: { apiVersion: "v1", kind: "Node", name },
        },
      })
      .catch(() => undefined);
  };

  const tick = async () => {
    for (const ns of options.schedule ?? []) {
      for (const pod of await cluster.list("pods", { namespace: ns, fieldSelector: "spec.nodeName=" })) {
        if (!pod.metadata?.deletionTimestamp) await bind(pod);
      }
    }
    for (const pod of await cluster.list("pods", { fieldSelector: `spec.nodeName=${name}` })) {
      const uid = pod.metadata?.uid ?? "";
      if (pod.metadata?.deletionTimestamp) {
        for (const child of processes.get(uid) ?? []) child.kill("SIGKILL");
        // a container's end ends the commands exec'd into it
        for (const [record, pid] of execPids) {
          if (record.namespace !== pod.metadata?.namespace || record.pod !== pod.metadata?.name) continue;
          record.killed = true;
          try {
            process.kill(-pid, "SIGKILL");
          } catch {
            // already gone
          }
        }
        await cluster
          .delete("pods", pod.metadata?.name ?? "", {
            namespace: pod.metadata?.namespace,
            gracePeriodSeconds: 0,
          })
          .catch((error: unknown) => {
            if (!isNotFound(error)) throw error;
          });
        continue;
      }
      if (started.has(uid)) {
        await reconcileReadiness(pod);
        continue;
      }
      started.add(uid);
      startPod(pod).catch((error: unknown) => {
        process.stderr.write(
          `harness node ${name}: pod ${pod.metadata?.namespace}/${pod.metadata?.name}: ${(error as Error).message}\n`,
        );
      });
    }
  };

  const loop = (async () => {
    let lastBeat = Date.now();
    while (!stopped) {
      try {
        await tick();
        if (Date.now() - lastBeat > 10_000) {
          lastBeat = Date.now();
          await heartbeat();
        }
      } catch (error) {
        if (!stopped) process.stderr.write(`harness node ${name}: ${(error as Error).message}\n`);
      }
      await sleep(pollMs);
    }
  })();

  return {
    name,
    kubeletDir: options.kubeletDir,
    emptyDir: (podUid, volume) => kubeletPath(podUid, "volumes", "kubernetes.io~empty-dir", volume),
    executed,
    logs: (namespace, pod, container) => output.get(`${namespace}/${pod}/${container}`) ?? "",
    execs,
    kubeletPort,
    holdNotReady: (namespace, pod) => void held.add(heldKey(namespace, pod)),
    release: (namespace, pod) => void held.delete(heldKey(namespace, pod)),
    async stop() {
      stopped = true;
      await loop;
      if (streaming && streaming.exitCode === null) {
        const exited = new Promise((resolve) => streaming!.once("exit", resolve));
        streaming.kill("SIGTERM"); // it kills the process groups of the execs still running
        await exited;
      }
      await new Promise((resolve) => (callback ? callback.close(resolve) : resolve(undefined)));
      for (const set of processes.values()) for (const child of set) child.kill("SIGKILL");
      await cluster.delete("nodes", name).catch(() => undefined);
      await cluster
        .delete("leases.coordination.k8s.io", name, { namespace: "kube-node-lease" })
        .catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
    },
  };
};

/**
 * A pod bound to `node` whose one container (nginx: the harness reports it running without running it)
 * mounts each volume at `/mnt/<name>`. Volumes default to one emptyDir, `data`.
 */
export const podOnNode = (init: {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly volumes?: ReadonlyArray<Record<string, unknown> & { name: string }>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}): KubeObject => {
  const volumes = init.volumes ?? [{ name: "data", emptyDir: {} }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: init.name,
      namespace: init.namespace,
      annotations: { ...init.annotations },
      labels: { ...init.labels },
    },
    spec: {
      nodeName: init.node,
      automountServiceAccountToken: false,
      containers: [
        {
          name: "app",
          image: "nginx:1.27",
          volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/mnt/${v.name}` })),
        },
      ],
      volumes,
    },
  };
};

/** Creates `pod` and resolves with it once the harness node reports it Running (30 s at most). */
export const createRunningPod = async (cluster: Cluster, pod: KubeObject): Promise<KubeObject> => {
  await cluster.create("pods", pod);
  const { name = "", namespace } = pod.metadata ?? {};
  for (let i = 0; i < 300; i++) {
    const live = await cluster.get("pods", name, { namespace });
    if ((live.status as { phase?: string } | undefined)?.phase === "Running") return live;
    await sleep(100);
  }
  throw new Error(`pod ${namespace}/${name} was not reported Running within 30 s`);
};
