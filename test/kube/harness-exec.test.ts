// The harness node's kubelet streaming endpoint, exercised through the real kube-apiserver's
// `pods/exec` with a raw WebSocket client speaking `v5.channel.k8s.io` (the apiserver translates it to
// SPDY towards the node, as it does towards a kubelet). This tests the harness, not lib/.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import type { Cluster, KubeObject } from "../../lib/index.ts";
import { repoRoot } from "../support/binaries.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { eventually } from "../support/fixtures.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import {
  createRunningPod,
  NOT_READY_ANNOTATION,
  type NodePlayer,
  podOnNode,
  startNodePlayer,
} from "../support/node-player.ts";

interface Status {
  status?: string;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

interface Outcome {
  stdout: string;
  stderr: string;
  /** The metav1.Status of the error channel (3); undefined when the stream ended without one. */
  status?: Status;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
/** v5: "the client closed this channel" (here stdin). */
const CLOSE = 255;

/**
 * Opens `pods/exec` for `command`; resolves when the apiserver closes the stream. `onOpen` gets the
 * socket (a test may close it early). Rejects with the HTTP status and body when the upgrade is refused.
 */
const exec = async (
  target: { namespace: string; pod: string; container?: string; stdin?: boolean },
  command: readonly string[],
  onOpen?: (socket: WebSocket) => void,
): Promise<Outcome> => {
  const env = await testEnv();
  const query = new URLSearchParams();
  if (target.container) query.set("container", target.container);
  if (target.stdin) query.set("stdin", "true");
  for (const part of command) query.append("command", part);
  query.set("stdout", "true");
  query.set("stderr", "true");
  const url = `${env.kube.server.replace(/^https/, "wss")}/api/v1/namespaces/${target.namespace}/pods/${target.pod}/exec?${query}`;
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ["v5.channel.k8s.io"], {
      ca: readFileSync(env.kube.caFile),
      headers: { Authorization: `Bearer ${env.kube.adminToken}` },
    });
    const outcome: Outcome = { stdout: "", stderr: "" };
    socket.on("open", () => onOpen?.(socket));
    socket.on("message", (data: Buffer) => {
      const channel = data[0];
      const text = data.subarray(1).toString("utf8");
      if (channel === STDOUT) outcome.stdout += text;
      else if (channel === STDERR) outcome.stderr += text;
      else if (channel === ERROR && text) outcome.status = JSON.parse(text) as Status;
    });
    socket.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => reject(new Error(`HTTP ${res.statusCode}: ${body}`)));
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(outcome));
  });
};

const exitCodeOf = (status: Status | undefined): number | undefined => {
  if (status?.status === "Success") return 0;
  const cause = status?.details?.causes?.find((c) => c.reason === "ExitCode");
  return cause?.message === undefined ? undefined : Number(cause.message);
};

const setUp = async (
  runImages: readonly string[] = [],
): Promise<{ cluster: Cluster; namespace: string; node: NodePlayer }> => {
  const cluster = await connectTest();
  const namespace = await makeNamespace(cluster, "harness-exec");
  const kubeletDir = mkdtempSync(join(tmpdir(), "stowage-kubelet-"));
  const node = await startNodePlayer({ cluster, kubeletDir, runImages });
  onCleanup(async () => {
    await node.stop();
    rmSync(kubeletDir, { recursive: true, force: true });
  });
  return { cluster, namespace, node };
};

const conditionOf = (pod: KubeObject, type: string) =>
  (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.find(
    (c) => c.type === type,
  )?.status;

describe("pods/exec through the real apiserver (harness plays the node)", () => {
  it("streams stdout and stderr and reports exit codes through the status channel (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp();
    await createRunningPod(cluster, podOnNode({ namespace, name: "web", node: node.name }));

    const ok = await exec({ namespace, pod: "web" }, ["sh", "-c", "echo out; echo err >&2"]);
    assert.equal(ok.stdout, "out\n");
    assert.equal(ok.stderr, "err\n");
    assert.equal(ok.status?.status, "Success");
    assert.equal(exitCodeOf(ok.status), 0);

    const failed = await exec({ namespace, pod: "web", container: "app" }, [
      "sh",
      "-c",
      "echo no >&2; exit 3",
    ]);
    assert.equal(failed.stderr, "no\n");
    assert.equal(failed.status?.status, "Failure");
    assert.equal(failed.status?.reason, "NonZeroExitCode");
    assert.equal(exitCodeOf(failed.status), 3);

    const records = node.execs.filter((e) => e.pod === "web");
    assert.deepEqual(
      records.map((e) => [e.container, e.command.at(-1), e.exitCode, e.killed]),
      [
        ["app", "echo out; echo err >&2", 0, false],
        ["app", "echo no >&2; exit 3", 3, false],
      ],
    );
  });

  it("streams stdin to the command, closed by the v5 close signal (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp();
    await createRunningPod(cluster, podOnNode({ namespace, name: "cat", node: node.name }));
    const echoed = await exec(
      { namespace, pod: "cat", stdin: true },
      ["sh", "-c", "tr a-z A-Z"],
      (socket) => {
        socket.send(Buffer.concat([Buffer.from([STDIN]), Buffer.from("quiesce\n")]));
        socket.send(Buffer.from([CLOSE, STDIN]));
      },
    );
    assert.equal(echoed.stdout, "QUIESCE\n");
    assert.equal(echoed.status?.status, "Success");
  });

  it("serves the node's endpoint only to clients with a certificate of the cluster's kubelet CA (harness plays the node)", async () => {
    const { node } = await setUp();
    const { kube } = await testEnv();
    assert.ok(kube.kubelet, "the test control plane has kubelet credentials");
    const ca = readFileSync(kube.kubelet.caFile);
    // the serving certificate verifies against the CA for 127.0.0.1 (as the apiserver checks it) …
    const refused = await new Promise<string>((resolve) => {
      const req = https.request(
        { host: "127.0.0.1", port: node.kubeletPort, path: "/exec/ns/pod/c?command=true&stdout=1", ca },
        (res) => resolve(`HTTP ${res.statusCode}`),
      );
      req.on("error", (error) => resolve(error.message));
      req.end();
    });
    // … and a client without a certificate is turned away in the TLS handshake
    assert.match(refused, /certificate required|handshake|socket hang up|ECONNRESET/i);
    assert.equal(node.execs.length, 0);
  });

  it("runs the command in the pod's mapped directories: a path inside an argument reaches the volume (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp();
    const pod = await createRunningPod(cluster, podOnNode({ namespace, name: "db", node: node.name }));

    const wrote = await exec({ namespace, pod: "db" }, ["sh", "-c", "echo consistent > /mnt/data/marker"]);
    assert.equal(wrote.status?.status, "Success", JSON.stringify(wrote));
    const local = join(node.emptyDir(pod.metadata?.uid ?? "", "data"), "marker");
    assert.equal(readFileSync(local, "utf8"), "consistent\n");

    const read = await exec({ namespace, pod: "db" }, ["cat", "/mnt/data/marker"]);
    assert.equal(read.stdout, "consistent\n");

    // mount paths are rewritten at path boundaries only
    const dir = node.emptyDir(pod.metadata?.uid ?? "", "data");
    const echoed = await exec({ namespace, pod: "db" }, [
      "echo",
      "/mnt/data",
      "--out=/mnt/data/x",
      "/mnt/database",
      "x/mnt/data",
      "/srv:/mnt/data/y",
    ]);
    assert.equal(echoed.stdout, `${dir} --out=${dir}/x /mnt/database x/mnt/data /srv:${dir}/y\n`);
  });

  it("refuses a container the pod does not have, and kills a command whose client's connection dropped (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp();
    await createRunningPod(cluster, podOnNode({ namespace, name: "app", node: node.name }));

    await assert.rejects(exec({ namespace, pod: "app", container: "nope" }, ["true"]), /HTTP 400.*nope/);
    await assert.rejects(exec({ namespace, pod: "missing" }, ["true"]), /HTTP 404/);

    // a client giving up (its timeout, an abort) drops the connection: the apiserver then ends the
    // stream to the node, which kills the command
    const gone = await exec({ namespace, pod: "app" }, ["sleep", "600"], (socket) => {
      void eventually("the exec to reach the node", async () =>
        node.execs.some((e) => e.pod === "app" && e.argv.length > 0),
      ).then(() => socket.terminate());
    });
    assert.equal(gone.status, undefined);
    const record = await eventually("the exec to be killed", async () =>
      node.execs.find((e) => e.pod === "app" && e.finishedAt !== undefined),
    );
    assert.deepEqual([record.command, record.killed, record.exitCode], [["sleep", "600"], true, 137]);
  });

  it("execs only into running containers: a main container waiting for its init container refuses through the stream (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp(["harness:run"]);
    await cluster.create("pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "initializing", namespace },
      spec: {
        nodeName: node.name,
        automountServiceAccountToken: false,
        initContainers: [{ name: "wait", image: "harness:run", command: ["sleep", "600"] }],
        containers: [{ name: "app", image: "nginx:1.27" }],
      },
    });
    await eventually("the init container to run", async () => {
      const live = await cluster.get("pods", "initializing", { namespace });
      const init = (live.status as { initContainerStatuses?: Array<{ state?: { running?: unknown } }> })
        .initContainerStatuses;
      return Boolean(init?.[0]?.state?.running);
    });

    const refused = await exec({ namespace, pod: "initializing", container: "app" }, ["true"]);
    assert.equal(refused.status?.status, "Failure");
    assert.match(refused.status?.message ?? "", /container "app" of pod .*initializing is not running/);
    const intoInit = await exec({ namespace, pod: "initializing", container: "wait" }, ["echo", "init"]);
    assert.equal(intoInit.stdout, "init\n");
    assert.deepEqual(
      node.execs
        .filter((e) => e.pod === "initializing")
        .map((e) => [e.container, e.exitCode, Boolean(e.error)]),
      [
        ["app", undefined, true],
        ["wait", 0, false],
      ],
    );
  });

  it("ends the commands exec'd into a pod when the pod is deleted (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp();
    await createRunningPod(cluster, podOnNode({ namespace, name: "doomed", node: node.name }));
    const running = exec({ namespace, pod: "doomed" }, ["sh", "-c", "echo started; sleep 600"], () => {
      void eventually("the exec to reach the node", async () =>
        node.execs.some((e) => e.pod === "doomed" && e.argv.length > 0),
      ).then(() => cluster.delete("pods", "doomed", { namespace }));
    });
    const outcome = await running;
    assert.equal(outcome.stdout, "started\n");
    assert.equal(exitCodeOf(outcome.status), 137);
    const record = await eventually("the exec to end", async () =>
      node.execs.find((e) => e.pod === "doomed" && e.finishedAt !== undefined),
    );
    assert.deepEqual([record.killed, record.exitCode], [true, 137]);
  });

  it("leaves no streaming server behind when the test process dies without stop() (harness plays the node)", async () => {
    const { cluster } = await setUp();
    const { kube } = await testEnv();
    const player = pathToFileURL(join(repoRoot, "test", "support", "node-player.ts")).href;
    const lib = pathToFileURL(join(repoRoot, "lib", "index.ts")).href;
    const kubeletDir = mkdtempSync(join(tmpdir(), "stowage-kubelet-"));
    onCleanup(() => rmSync(kubeletDir, { recursive: true, force: true }));
    const script = `
      const { connect } = await import(${JSON.stringify(lib)});
      const { startNodePlayer } = await import(${JSON.stringify(player)});
      const cluster = await connect({ kubeconfig: ${JSON.stringify(kube.kubeconfig)} });
      const node = await startNodePlayer({ cluster, kubeletDir: ${JSON.stringify(kubeletDir)}, runImages: [] });
      console.log(JSON.stringify({ name: node.name, port: node.kubeletPort }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const started = await new Promise<{ name: string; port: number }>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n"))
          resolve(JSON.parse(out.split("\n")[0] ?? "") as { name: string; port: number });
      });
      child.once("exit", (code) => reject(new Error(`the child exited (${code}) before starting its node`)));
    });
    onCleanup(() => cluster.delete("nodes", started.name).catch(() => undefined));
    // the server's pid, from the socket table (a probe connection would make it log, and a write to
    // its dead parent's pipe would end it for the wrong reason)
    const ss = execFileSync("ss", ["-Hltnp", `sport = :${started.port}`], { encoding: "utf8" });
    const pid = Number(/pid=(\d+)/.exec(ss)?.[1]);
    assert.ok(pid > 0, `no process listens on the node's kubelet port ${started.port}: ${ss}`);
    const alive = () => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
      } catch {
        return false;
      }
    };
    assert.equal(alive(), true);
    child.kill("SIGKILL");
    await eventually("the orphaned streaming server to exit", async () => !alive());
  });

  it("reports running pods ready, and a held pod not ready until released (harness plays the node)", async () => {
    const { cluster, namespace, node } = await setUp();
    node.holdNotReady(namespace, "held");
    const held = await createRunningPod(cluster, podOnNode({ namespace, name: "held", node: node.name }));
    const free = await createRunningPod(cluster, podOnNode({ namespace, name: "free", node: node.name }));
    assert.equal(conditionOf(free, "Ready"), "True");
    assert.equal(conditionOf(held, "Ready"), "False");
    assert.equal(conditionOf(held, "ContainersReady"), "False");
    assert.equal(
      (held.status as { containerStatuses: Array<{ ready: boolean }> }).containerStatuses[0]?.ready,
      false,
    );

    const annotated = await createRunningPod(
      cluster,
      podOnNode({
        namespace,
        name: "annotated",
        node: node.name,
        annotations: { [NOT_READY_ANNOTATION]: "true" },
      }),
    );
    assert.equal(conditionOf(annotated, "Ready"), "False");
    await cluster.request({
      method: "PATCH",
      path: `/api/v1/namespaces/${namespace}/pods/annotated`,
      body: { metadata: { annotations: { [NOT_READY_ANNOTATION]: null } } },
      contentType: "application/merge-patch+json",
    });
    await eventually(
      "the annotated pod to be Ready once the annotation is gone",
      async () => conditionOf(await cluster.get("pods", "annotated", { namespace }), "Ready") === "True",
    );

    node.release(namespace, "held");
    const released = await eventually("the released pod to be Ready", async () => {
      const live = await cluster.get("pods", "held", { namespace });
      return conditionOf(live, "Ready") === "True" && live;
    });
    assert.equal(
      (released.status as { containerStatuses: Array<{ ready: boolean }> }).containerStatuses[0]?.ready,
      true,
    );
  });
});
