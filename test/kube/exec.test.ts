/**
 * `cluster.exec` against the real kube-apiserver: the request goes to `pods/exec`, which the apiserver
 * proxies to the pod's node — here the harness, serving the kubelet's streaming endpoint with
 * Kubernetes' own remotecommand server and running the command as a local process (harness plays the
 * node).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AbortError,
  type Cluster,
  ExecError,
  ExecTimeoutError,
  NotFoundError,
  ValidationError,
} from "../../lib/index.ts";
import { tempDir } from "../podvolume/support.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { createRunningPod, type NodePlayer, podOnNode, startNodePlayer } from "../support/node-player.ts";
import { waitUntil } from "../support/processes.ts";

describe("cluster.exec over pods/exec (harness plays the node)", () => {
  let cluster: Cluster;
  let node: NodePlayer;
  let namespace: string;

  before(async () => {
    cluster = await connectTest();
    node = await startNodePlayer({ cluster, kubeletDir: tempDir("kubelet-exec"), runImages: [] });
    namespace = await makeNamespace(cluster, "exec");
    await createRunningPod(cluster, podOnNode({ namespace, name: "one", node: node.name }));
    const two = podOnNode({ namespace, name: "two", node: node.name });
    const spec = two.spec as { containers: Record<string, unknown>[] };
    spec.containers.push({ ...spec.containers[0], name: "sidecar" });
    await createRunningPod(cluster, two);
  });
  after(async () => {
    await node?.stop();
    cluster?.close();
  });

  test("returns stdout, stderr and the exit code, streaming output as it comes", async () => {
    const chunks: string[] = [];
    const result = await cluster.exec({
      namespace,
      pod: "one",
      command: ["sh", "-c", "echo out-1; echo err-1 >&2; echo out-2"],
      onStdout: (chunk) => chunks.push(chunk.toString()),
    });
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, "out-1\nout-2\n");
    assert.equal(result.stderr, "err-1\n");
    assert.equal(result.truncated, false);
    assert.equal(chunks.join(""), result.stdout);
  });

  test("a non-zero exit is a result, not an error", async () => {
    const result = await cluster.exec({
      namespace,
      pod: "one",
      container: "app",
      command: ["sh", "-c", "echo failing >&2; exit 7"],
    });
    assert.equal(result.exitCode, 7);
    assert.equal(result.stderr, "failing\n");
  });

  test("stdin is sent and closed, so a command reading to EOF finishes", async () => {
    const result = await cluster.exec({ namespace, pod: "one", command: ["cat"], stdin: "hello\nworld\n" });
    assert.equal(result.stdout, "hello\nworld\n");
    assert.equal(result.exitCode, 0);
  });

  test("output over maxOutputBytes is cut and says so", async () => {
    const result = await cluster.exec({
      namespace,
      pod: "one",
      command: ["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x"],
      maxOutputBytes: 100,
    });
    assert.equal(result.stdout, "x".repeat(100));
    assert.equal(result.truncated, true);
  });

  test("a command longer than its timeout is stopped: ExecTimeoutError, and the process is killed", async () => {
    const marker = `sleeper-${Date.now()}`;
    await assert.rejects(
      cluster.exec({
        namespace,
        pod: "one",
        command: ["sh", "-c", `echo ${marker}; exec sleep 60`],
        timeoutMs: 1500,
      }),
      (error: unknown) => {
        assert.ok(error instanceof ExecTimeoutError, String(error));
        assert.equal(error.code, "ERR_EXEC_TIMEOUT");
        assert.equal(error.timeoutMs, 1500);
        assert.match(error.message, /ran longer than its timeout of 1500 ms/);
        assert.equal(error.stdout, `${marker}\n`);
        return true;
      },
    );
    await waitUntil("the harness saw the timed-out command killed", async () =>
      node.execs.some((e) => e.command.join(" ").includes(marker) && e.killed),
    );
  });

  test("an abort closes the stream and rejects with AbortError", async () => {
    const controller = new AbortController();
    const marker = `aborted-${Date.now()}`;
    const running = cluster.exec({
      namespace,
      pod: "one",
      command: ["sh", "-c", `echo ${marker}; exec sleep 60`],
      signal: controller.signal,
      onStdout: () => controller.abort(new Error("user pressed ^C")),
    });
    await assert.rejects(running, (error: unknown) => error instanceof AbortError);
    await waitUntil("the harness saw the aborted command killed", async () =>
      node.execs.some((e) => e.command.join(" ").includes(marker) && e.killed),
    );
  });

  test("a pod that does not exist is a NotFoundError naming it", async () => {
    await assert.rejects(
      cluster.exec({ namespace, pod: "nope", container: "app", command: ["true"] }),
      (error: unknown) => error instanceof NotFoundError && /pods "nope" not found/.test(error.message),
    );
    await assert.rejects(
      cluster.exec({ namespace, pod: "nope", command: ["true"] }),
      (error: unknown) =>
        error instanceof ExecError && /pod .*\/nope: the pod does not exist/.test(error.message),
    );
  });

  test("a container the pod does not have is an ExecError that lists the pod's containers", async () => {
    await assert.rejects(
      cluster.exec({ namespace, pod: "one", container: "db", command: ["true"] }),
      (error: unknown) => {
        assert.ok(error instanceof ExecError, String(error));
        assert.match(error.message, /container "db"/);
        assert.match(error.message, /the pod's containers are app/);
        return true;
      },
    );
  });

  test("with several containers and no default, the container must be named", async () => {
    await assert.rejects(
      cluster.exec({ namespace, pod: "two", command: ["true"] }),
      (error: unknown) => error instanceof ExecError && /2 containers \(app, sidecar\)/.test(error.message),
    );
    const named = await cluster.exec({
      namespace,
      pod: "two",
      container: "sidecar",
      command: ["echo", "side"],
    });
    assert.equal(named.stdout, "side\n");
  });

  test("bad options are refused before anything is sent", async () => {
    await assert.rejects(
      cluster.exec({ namespace, pod: "one", command: [] }),
      (error: unknown) =>
        error instanceof ValidationError && /exec command: expected a non-empty array/.test(error.message),
    );
    await assert.rejects(
      // @ts-expect-error a string is not an argv
      cluster.exec({ namespace, pod: "one", command: "ls -l" }),
      (error: unknown) => error instanceof ValidationError,
    );
    await assert.rejects(
      cluster.exec({ namespace, pod: "one", command: ["true"], timeoutMs: -1 }),
      (error: unknown) => error instanceof ValidationError && /timeoutMs/.test(error.message),
    );
  });
});
