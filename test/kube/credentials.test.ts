// Credentials beyond a static token: exec credential plugins (against the real kube-apiserver) and client
// certificates (against a local HTTPS server that requires them: the test apiserver has no client CA).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, connect } from "../../lib/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { scratch } from "./support.ts";

const { dir: newDir, file: writeIn } = scratch("stowage-credentials-");

/** A kubeconfig whose user is given as YAML lines (indented under `user:`). */
const kubeconfig = (server: string, clusterLines: string, userLines: string) => `apiVersion: v1
kind: Config
clusters:
- name: main
  cluster:
    server: ${server}
${clusterLines}
users:
- name: me
  user:
${userLines}
contexts:
- name: main
  context: {cluster: main, user: me}
current-context: main
`;

/**
 * An exec plugin (a Node script): records each run and what it was given, answers `stale` on its first
 * run and then the token in `<dir>/token`, or a client certificate when `<dir>/cert.pem` exists.
 */
const writePlugin = (dir: string) => {
  const path = join(dir, "plugin.mjs");
  writeFileSync(
    path,
    `#!${process.execPath}
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
const dir = process.argv[2];
appendFileSync(dir + "/runs", "run\\n");
writeFileSync(dir + "/exec-info.json", process.env.KUBERNETES_EXEC_INFO ?? "");
writeFileSync(dir + "/greeting", process.env.PLUGIN_GREETING ?? "");
const status = existsSync(dir + "/cert.pem")
  ? { clientCertificateData: readFileSync(dir + "/cert.pem", "utf8"), clientKeyData: readFileSync(dir + "/key.pem", "utf8") }
  : { token: existsSync(dir + "/first-done") ? readFileSync(dir + "/token", "utf8") : "stale" };
writeFileSync(dir + "/first-done", "");
process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status }));
`,
  );
  chmodSync(path, 0o755);
};

const execUser = (dir: string, extra = "") => `    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.mjs
      args: ["${dir}"]
      env: [{name: PLUGIN_GREETING, value: hello}]
      interactiveMode: Never
      provideClusterInfo: true${extra}`;

describe("exec credential plugins", () => {
  test("run with args, env and KUBERNETES_EXEC_INFO; cached; run again after a 401", async () => {
    const env = await testEnv();
    const dir = newDir();
    writePlugin(dir);
    writeFileSync(join(dir, "token"), env.kube.adminToken);
    const path = join(dir, "kubeconfig");
    writeFileSync(
      path,
      kubeconfig(env.kube.server, `    certificate-authority: ${env.kube.caFile}`, execUser(dir)),
    );

    // the first credential ("stale") is refused with 401: the plugin runs again and the request succeeds
    const cluster = await connect({ kubeconfig: path });
    try {
      for (let i = 0; i < 3; i++) assert.ok((await cluster.list("namespaces")).length > 0);
    } finally {
      cluster.close();
    }
    assert.equal(readFileSync(join(dir, "runs"), "utf8"), "run\nrun\n", "one run for the 401, then cached");
    assert.equal(readFileSync(join(dir, "greeting"), "utf8"), "hello");
    const info = JSON.parse(readFileSync(join(dir, "exec-info.json"), "utf8")) as {
      apiVersion: string;
      kind: string;
      spec: { interactive: boolean; cluster: { server: string; "certificate-authority-data": string } };
    };
    assert.equal(info.apiVersion, "client.authentication.k8s.io/v1");
    assert.equal(info.kind, "ExecCredential");
    assert.equal(info.spec.interactive, false);
    assert.equal(info.spec.cluster.server, env.kube.server);
    assert.equal(
      Buffer.from(info.spec.cluster["certificate-authority-data"], "base64").toString(),
      readFileSync(env.kube.caFile, "utf8"),
    );
  });

  test("a missing plugin, a wrong apiVersion, bad output and a failing plugin are clear ConfigErrors", async () => {
    const env = await testEnv();
    const dir = newDir();
    const cluster = `    certificate-authority: ${env.kube.caFile}`;
    const attempt = (name: string, user: string) =>
      connect({
        kubeconfig: writeIn(dir, name, kubeconfig(env.kube.server, cluster, user)),
        retry: { attempts: 1 },
      });
    const rejectsWith = (pattern: RegExp) => (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, pattern);
      return true;
    };
    await assert.rejects(
      attempt(
        "missing",
        '    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: no-such-plugin-xyz\n      installHint: "install it with: brew install xyz"',
      ),
      rejectsWith(/exec plugin "no-such-plugin-xyz" was not found: install it with: brew install xyz/),
    );
    await assert.rejects(
      attempt(
        "alpha",
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: x",
      ),
      rejectsWith(/has apiVersion "client.authentication.k8s.io\/v1alpha1": expected one of/),
    );
    const script = (name: string, body: string) => {
      const file = join(dir, name);
      writeFileSync(file, `#!/bin/sh\n${body}\n`);
      chmodSync(file, 0o755);
      return `    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${file}`;
    };
    await assert.rejects(
      attempt("garbage", script("garbage.sh", "echo hello")),
      rejectsWith(
        /printed something that is not JSON \(6 bytes received, not shown as they may hold a secret\)/,
      ),
    );
    // Whatever is wrong with the output, the error never quotes it: it may hold a token.
    const token = "k8s-aws-v1.c2VjcmV0LXRva2VuLXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr";
    const leaks: Array<[string, string, RegExp]> = [
      ["invalid-json", `token: ${token}`, /printed something that is not JSON \(\d+ bytes received/],
      [
        "truncated-json",
        `{"kind":"ExecCredential","status":{"token":"${token}"`,
        /printed something that is not JSON/,
      ],
      [
        "wrong-kind",
        `{"kind":"${token}","apiVersion":"client.authentication.k8s.io/v1beta1"}`,
        /kind is not "ExecCredential"/,
      ],
      [
        "wrong-api-version",
        `{"kind":"ExecCredential","apiVersion":"${token}","status":{"token":"${token}"}}`,
        /an apiVersion that is not "client.authentication.k8s.io\/v1beta1"/,
      ],
      [
        "no-token",
        `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"expirationTimestamp":"${token}"}}`,
        /neither status.token nor a client certificate/,
      ],
      [
        "bad-expiry",
        `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"${token}","expirationTimestamp":"${token}"}}`,
        /status.expirationTimestamp that is not an RFC 3339 time/,
      ],
    ];
    for (const [name, output, pattern] of leaks) {
      await assert.rejects(
        attempt(name, script(`${name}.sh`, `printf '%s' '${output}'`)),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, pattern);
          assert.match(error.message, new RegExp(`\\(${Buffer.byteLength(output)} bytes received`));
          assert.ok(
            !error.message.includes(token.slice(0, 20)),
            `${name}: the error does not quote the output`,
          );
          assert.ok(!String(error.stack).includes(token.slice(0, 20)), `${name}: nor does its stack`);
          return true;
        },
      );
    }
    await assert.rejects(
      attempt("failing", script("failing.sh", "echo 'token expired, run: login' >&2; exit 3")),
      rejectsWith(/exec plugin ".*failing\.sh" failed \(.*\): token expired, run: login/),
    );
    await assert.rejects(
      attempt(
        "interactive",
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n      interactiveMode: Always",
      ),
      rejectsWith(/needs interactiveMode Always, and Stowage never prompts/),
    );
  });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate `stowage-client`, made by openssl. */
const makeCertificates = (dir: string) => {
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const key = (name: string) =>
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
  key("ca");
  openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=test-ca", "-days", "2", "-out", "ca.crt");
  for (const [name, cn, ext] of [
    ["server", "server", "subjectAltName=IP:127.0.0.1"],
    ["client", "stowage-client", "extendedKeyUsage=clientAuth"],
  ] as const) {
    key(name);
    openssl("req", "-new", "-key", `${name}.key`, "-subj", `/CN=${cn}`, "-out", `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    );
  }
  const read = (file: string) => readFileSync(join(dir, file));
  return { ca: read("ca.crt"), serverCert: read("server.crt"), serverKey: read("server.key") };
};

/** An HTTPS server that requires a client certificate and answers with its CN. */
const startMtlsServer = async (certs: ReturnType<typeof makeCertificates>): Promise<string> => {
  const server = https.createServer(
    {
      key: certs.serverKey,
      cert: certs.serverCert,
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const cn = (req.socket as import("node:tls").TLSSocket).getPeerCertificate().subject?.CN;
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ gitVersion: "v0.0.0-mtls", major: "0", minor: "0", path: req.url, cn }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const whoami = async (path: string): Promise<string> => {
  const cluster = await connect({ kubeconfig: path, retry: { attempts: 1 } });
  try {
    const response = await cluster.request({ method: "GET", path: "/whoami" });
    return (JSON.parse(response.body.toString()) as { cn: string }).cn;
  } finally {
    cluster.close();
  }
};

describe("client certificates", () => {
  test("from files (relative paths), from -data, and from an exec plugin", async () => {
    const dir = newDir();
    const certs = makeCertificates(dir);
    const server = await startMtlsServer(certs);
    const clusterLines = "    certificate-authority: ca.crt";
    const write = (name: string, userLines: string) =>
      writeIn(dir, name, kubeconfig(server, clusterLines, userLines));
    assert.equal(
      await whoami(write("files", "    client-certificate: client.crt\n    client-key: client.key")),
      "stowage-client",
    );
    const b64 = (file: string) => readFileSync(join(dir, file)).toString("base64");
    assert.equal(
      await whoami(
        write(
          "data",
          `    client-certificate-data: ${b64("client.crt")}\n    client-key-data: ${b64("client.key")}`,
        ),
      ),
      "stowage-client",
    );
    const pluginDir = newDir();
    writePlugin(pluginDir);
    writeFileSync(join(pluginDir, "cert.pem"), readFileSync(join(dir, "client.crt")));
    writeFileSync(join(pluginDir, "key.pem"), readFileSync(join(dir, "client.key")));
    const viaPlugin = join(pluginDir, "kubeconfig");
    writeFileSync(
      viaPlugin,
      kubeconfig(server, `    certificate-authority: ${join(dir, "ca.crt")}`, execUser(pluginDir)),
    );
    assert.equal(await whoami(viaPlugin), "stowage-client");

    // without a client certificate the server refuses the handshake
    await assert.rejects(whoami(write("none", "    token: t")));
  });
});
