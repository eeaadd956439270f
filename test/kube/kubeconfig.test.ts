// kubeconfig files as kubectl reads them (merge, relative paths, TLS settings, impersonation) and the
// in-cluster configuration, each checked against the real kube-apiserver of the test environment.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, connect, ForbiddenError } from "../../lib/index.ts";
import { loadConfig, loadInClusterConfig } from "../../lib/kube/config.ts";
import { connectWithConfig } from "../../lib/kube/connect.ts";
import { testEnv } from "../support/env.ts";
import { scratch } from "./support.ts";

const { dir: newDir, file: writeIn } = scratch("stowage-kubeconfig-");

/** A kubeconfig of one cluster, one user and one context `main`. */
const kubeconfig = (o: {
  cluster: string;
  user?: string;
  context?: string;
  current?: string;
  extra?: string;
}) =>
  `apiVersion: v1
kind: Config
clusters:
- name: main
  cluster:
${o.cluster}
users:
- name: admin
  user:
${o.user ?? ""}
contexts:
- name: main
  context: {cluster: main, user: admin${o.context ?? ""}}
${o.extra ?? ""}current-context: ${o.current ?? "main"}
`;

const indent = (lines: Record<string, string>) =>
  Object.entries(lines)
    .map(([k, v]) => `    ${k}: ${v}`)
    .join("\n");

const listsNamespaces = async (path: string, context?: string) => {
  const cluster = await connect({ kubeconfig: path, ...(context ? { context } : {}) });
  try {
    const names = (await cluster.list("namespaces")).map((n) => n.metadata?.name);
    assert.ok(names.includes("kube-system"), `namespaces: ${names.join(", ")}`);
    return cluster;
  } finally {
    cluster.close();
  }
};

describe("kubeconfig files", () => {
  test("several files merge as kubectl merges them: the first definition and current-context win", async () => {
    const env = await testEnv();
    const dir = newDir();
    const first = join(dir, "first.kubeconfig");
    const second = join(dir, "second.kubeconfig");
    writeFileSync(
      first,
      kubeconfig({
        cluster: indent({ server: env.kube.server, "certificate-authority": env.kube.caFile }),
        user: indent({ token: env.kube.adminToken }),
      }),
    );
    // the same names with values that cannot work, plus a context of its own and another current-context
    writeFileSync(
      second,
      `clusters:
- name: main
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: admin
  user: {token: wrong}
contexts:
- name: main
  context: {cluster: main, user: admin, namespace: wrong}
- name: system
  context: {cluster: main, user: admin, namespace: kube-system}
current-context: system
`,
    );
    const merged = loadConfig({ kubeconfig: [first, second].join(delimiter) });
    assert.equal(merged.context, "main");
    assert.equal(merged.server, env.kube.server);
    assert.equal(merged.namespace, undefined);
    assert.deepEqual(merged.source, { kind: "kubeconfig", files: [first, second] });

    // a context only the second file has, using the first file's cluster and user
    const system = await listsNamespaces([first, second].join(delimiter), "system");
    assert.equal(system.namespace, "kube-system");

    const reversed = loadConfig({ kubeconfig: [second, first].join(delimiter) });
    assert.equal(reversed.context, "system");
    assert.equal(reversed.server, "https://127.0.0.1:1");

    // kubectl skips a missing file in a list; a list of only missing files is an error
    const missing = join(dir, "missing.kubeconfig");
    assert.equal(loadConfig({ kubeconfig: [missing, first].join(delimiter) }).server, env.kube.server);
    assert.throws(
      () => loadConfig({ kubeconfig: [missing, join(dir, "gone")].join(delimiter) }),
      /none of the kubeconfig files exists/,
    );
  });

  test("relative paths resolve against the directory of the file that names them", async () => {
    const env = await testEnv();
    const dir = newDir();
    mkdirSync(join(dir, "pki"));
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "pki", "ca.crt"), readFileSync(env.kube.caFile));
    writeFileSync(join(dir, "conf", "token"), `${env.kube.adminToken}\n`);
    const path = join(dir, "conf", "kubeconfig");
    writeFileSync(
      path,
      kubeconfig({
        cluster: indent({ server: env.kube.server, "certificate-authority": "../pki/ca.crt" }),
        user: indent({ tokenFile: "token" }),
      }),
    );
    const config = loadConfig({ kubeconfig: path });
    assert.equal(config.cluster.certificateAuthority, join(dir, "pki", "ca.crt"));
    assert.equal(config.user?.tokenFile, join(dir, "conf", "token"));
    await listsNamespaces(path);

    writeFileSync(
      path,
      kubeconfig({
        cluster: indent({ server: env.kube.server, "certificate-authority": "../pki/missing.crt" }),
        user: indent({ tokenFile: "token" }),
      }),
    );
    await assert.rejects(connect({ kubeconfig: path }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /certificate-authority of cluster "main" ".*pki\/missing\.crt" cannot be read/,
      );
      return true;
    });
  });

  test("TLS: certificate-authority-data, tls-server-name, insecure-skip-tls-verify", async () => {
    const env = await testEnv();
    const dir = newDir();
    const caData = readFileSync(env.kube.caFile).toString("base64");
    const user = indent({ token: env.kube.adminToken });
    const write = (name: string, cluster: Record<string, string>) =>
      writeIn(dir, name, kubeconfig({ cluster: indent({ server: env.kube.server, ...cluster }), user }));
    await listsNamespaces(write("data", { "certificate-authority-data": caData }));
    // the serving certificate names kubernetes.default, not wrong.example
    await listsNamespaces(
      write("sni", { "certificate-authority-data": caData, "tls-server-name": "kubernetes.default" }),
    );
    await assert.rejects(
      connect({
        kubeconfig: write("bad-sni", {
          "certificate-authority-data": caData,
          "tls-server-name": "wrong.example",
        }),
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /does not verify .*tls-server-name/);
        return true;
      },
    );
    await assert.rejects(connect({ kubeconfig: write("no-ca", {}) }), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(
        error.message,
        /certificate that does not verify.*give cluster "main" the right certificate-authority/,
      );
      return true;
    });
    // YAML 1.1 booleans, as Go's YAML decoder reads them
    await listsNamespaces(write("insecure", { "insecure-skip-tls-verify": "yes" }));
  });

  test("impersonation (as, as-groups) reaches the apiserver", async () => {
    const env = await testEnv();
    const path = join(newDir(), "kubeconfig");
    writeFileSync(
      path,
      kubeconfig({
        cluster: indent({ server: env.kube.server, "certificate-authority": env.kube.caFile }),
        user: `${indent({ token: env.kube.adminToken, as: "stowage-limited" })}\n    as-groups: [system:authenticated]`,
      }),
    );
    const cluster = await connect({ kubeconfig: path });
    try {
      await assert.rejects(cluster.list("secrets", { namespace: "default" }), (error: unknown) => {
        assert.ok(error instanceof ForbiddenError);
        assert.match(error.message, /stowage-limited/);
        return true;
      });
    } finally {
      cluster.close();
    }
  });

  test("mistakes are named with the file, the entry and what to do", async () => {
    const dir = newDir();
    const write = (name: string, text: string) => writeIn(dir, name, text);
    const refused = (name: string, text: string, pattern: RegExp, context?: string) =>
      assert.throws(
        () => loadConfig({ kubeconfig: write(name, text), ...(context ? { context } : {}) }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, pattern);
          return true;
        },
      );
    const valid = kubeconfig({ cluster: indent({ server: "https://127.0.0.1:1" }) });
    refused(
      "no-user",
      valid.replace("- name: admin", "- name: other"),
      /context "main" names user "admin", which is not in the kubeconfig: expected one of \[other\]/,
    );
    refused(
      "no-cluster",
      valid.replace("- name: main\n  cluster", "- name: x\n  cluster"),
      /context "main" names cluster "main", which is not in the kubeconfig: expected one of \[x\]/,
    );
    refused(
      "bad-field",
      kubeconfig({ cluster: "    server: [a, b]" }),
      /kubeconfig ".*bad-field": clusters\["main"\]\.cluster\.server must be a string, found a list/,
    );
    refused("empty", "", /has no usable current context \(current-context: null\)/);
    const noCurrent = kubeconfig({ cluster: indent({ server: "x" }), current: '""' });
    refused("no-current", noCurrent, /no usable current context/);
    refused(
      "bad-server",
      noCurrent,
      /cluster "main" has server "x": expected an https:\/\/ \(or http:\/\/\) URL/,
      "main",
    );
    // scalars stay the text written, as Go reads them into strings (YAML 1.2 would make 0123 the number 123)
    const octal = write(
      "octal",
      kubeconfig({ cluster: indent({ server: "https://h:1" }), user: indent({ token: "0123" }) }),
    );
    assert.equal(loadConfig({ kubeconfig: octal }).user?.token, "0123");
  });
});

describe("in-cluster configuration", () => {
  test("the service account's token, CA and namespace, and KUBERNETES_SERVICE_HOST/PORT", async () => {
    const env = await testEnv();
    const dir = newDir();
    writeFileSync(join(dir, "token"), env.kube.adminToken);
    writeFileSync(join(dir, "ca.crt"), readFileSync(env.kube.caFile));
    writeFileSync(join(dir, "namespace"), "stowage-system\n");
    const url = new URL(env.kube.server);
    const config = loadInClusterConfig(
      { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port },
      dir,
    );
    assert.equal(config.context, "inClusterContext");
    assert.equal(config.namespace, "stowage-system");
    assert.equal(config.server, env.kube.server);
    const cluster = await connectWithConfig(config);
    try {
      assert.equal((await cluster.version()).gitVersion, "v1.35.4");
      assert.ok((await cluster.list("namespaces")).length > 0);
    } finally {
      cluster.close();
    }

    assert.equal(
      loadInClusterConfig({ KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, dir).server,
      "https://[fd00::1]:443",
    );
    assert.throws(
      () => loadInClusterConfig({}, dir),
      /not in a pod: expected KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT/,
    );
    assert.throws(
      () => loadInClusterConfig({ KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "1" }, newDir()),
      /not in a pod.*token/,
    );
  });
});
