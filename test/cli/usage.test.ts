// The CLI's conventions: help, exit codes (0 ok, 1 failed, 2 usage), one-line usage hints, errors
// on stderr without stack traces, and where settings come from (flag > STOWAGE_* > config > default).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { testEnv } from "../support/env.ts";
import { hasStackTrace, stowage, tempDir } from "./support.ts";

const usage = async (args: string[], message: RegExp, hint: string) => {
  const result = await stowage(args);
  assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, result.stderr);
  assert.match(lines[0] ?? "", /^stowage: /);
  assert.match(lines[0] ?? "", message);
  assert.equal(lines[1], `run "${hint}" for usage`);
};

describe("help and version", () => {
  test("stowage and stowage help list the commands (exit 0)", async () => {
    for (const args of [[], ["help"], ["--help"]]) {
      const result = await stowage(args);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /^Usage:\n {2}stowage <command> \[flags\]$/m);
      for (const command of [
        "backup create",
        "backup get",
        "backup describe",
        "backup logs",
        "backup-location create",
        "run",
      ]) {
        assert.match(result.stdout, new RegExp(`^ {2}${command} `, "m"));
      }
    }
  });

  test("a group lists its verbs; --help and help COMMAND show a command's flags", async () => {
    const group = await stowage(["backup"]);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /^ {2}create +Back up a cluster/m);
    for (const args of [
      ["backup", "create", "--help"],
      ["help", "backup", "create"],
      ["backup", "create", "-h"],
    ]) {
      const result = await stowage(args);
      assert.equal(result.code, 0, args.join(" "));
      assert.match(result.stdout, /^ {2}stowage backup create NAME \[flags\]$/m);
      assert.match(result.stdout, /^ {6}--include-cluster-resources +/m);
      assert.match(result.stdout, /^ {2}-w, --wait +accepted for velero compatibility/m);
    }
  });

  test("version prints the package version, also as JSON and YAML", async () => {
    const text = await stowage(["version"]);
    assert.match(text.stdout, /^stowage \d+\.\d+\.\d+ \(Velero 1\.18 backups, format 1\.1\.0\)\n$/);
    assert.equal(JSON.parse((await stowage(["version", "-o", "json"])).stdout).veleroCompatibility, "1.18");
    assert.equal(parseYaml((await stowage(["-o", "yaml", "version"])).stdout).backupFormatVersion, "1.1.0");
  });
});

describe("usage errors exit 2 with a one-line hint", () => {
  test("unknown command, unknown verb", async () => {
    await usage(["snapshot", "create", "x"], /unknown command "snapshot"/, "stowage --help");
    await usage(["backup", "frobnicate"], /unknown command "backup frobnicate"/, "stowage backup --help");
  });

  test("unknown flag, flag without value, bad boolean", async () => {
    await usage(
      ["backup", "create", "x", "--bogus"],
      /unknown flag "--bogus" for "stowage backup create"/,
      "stowage backup create --help",
    );
    await usage(
      ["backup", "create", "x", "--ttl"],
      /flag "--ttl" needs a value/,
      "stowage backup create --help",
    );
    await usage(
      ["backup", "create", "x", "--include-cluster-resources=maybe"],
      /invalid value "maybe" for --include-cluster-resources: expected true or false/,
      "stowage backup create --help",
    );
    await usage(
      ["--ttl", "1h", "backup", "create", "x"],
      /unknown flag "--ttl": flags of a command go after/,
      "stowage --help",
    );
  });

  test("missing and extra arguments", async () => {
    await usage(["backup", "create"], /"stowage backup create" needs NAME/, "stowage backup create --help");
    await usage(
      ["backup", "logs", "a", "b"],
      /unexpected extra argument\(s\) "b"/,
      "stowage backup logs --help",
    );
    await usage(["backup", "describe"], /needs NAME\.\.\./, "stowage backup describe --help");
    await usage(["version", "now"], /takes no arguments/, "stowage version --help");
  });

  test("bad flag values", async () => {
    await usage(
      ["backup", "get", "-o", "xml"],
      /invalid output format "xml": expected one of table, json, yaml/,
      "stowage backup get --help",
    );
    await usage(
      ["backup", "describe", "x", "-o", "json"],
      /does not support -o json/,
      "stowage backup describe --help",
    );
    await usage(
      ["backup", "create", "x", "--labels", "novalue"],
      /invalid value "novalue" for --labels: expected key=value/,
      "stowage backup create --help",
    );
    await usage(["backup", "get", "-l", "a in (b"], /label selector/, "stowage backup get --help");
    await usage(
      ["backup", "get", "--store", "ftp://x/y"],
      /invalid store "ftp:\/\/x\/y"/,
      "stowage backup get --help",
    );
  });
});

describe("failures exit 1 with the SDK's message and no stack trace", () => {
  test("an unreachable cluster", async () => {
    const dir = tempDir();
    const kubeconfig = join(dir, "dead.kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: dead, context: {cluster: dead, user: u}}]",
        "current-context: dead",
      ].join("\n"),
    );
    const result = await stowage([
      "backup",
      "create",
      "x",
      "--kubeconfig",
      kubeconfig,
      "--store",
      join(dir, "s"),
    ]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^stowage: cannot reach the Kubernetes API server at https:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)/,
    );
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    assert.ok(!hasStackTrace(result.stderr), result.stderr);
  });

  test("a missing kubeconfig; STOWAGE_DEBUG=1 adds the stack", async () => {
    const args = ["backup", "create", "x", "--kubeconfig", "/nonexistent/kubeconfig", "--store", tempDir()];
    const plain = await stowage(args);
    assert.equal(plain.code, 1);
    assert.equal(
      plain.stderr,
      'stowage: kubeconfig "/nonexistent/kubeconfig" does not exist: pass an existing file as `kubeconfig`, or fix KUBECONFIG\n',
    );
    const debug = await stowage(args, { env: { STOWAGE_DEBUG: "1" } });
    assert.equal(debug.code, 1);
    assert.ok(hasStackTrace(debug.stderr), debug.stderr);
  });

  test("the context comes from STOWAGE_CONTEXT when no flag is given, and the flag wins", async () => {
    const env = await testEnv();
    const args = ["backup", "create", "x", "--kubeconfig", env.kube.kubeconfig, "--store", tempDir()];
    const fromEnv = await stowage(args, { env: { STOWAGE_CONTEXT: "from-env" } });
    assert.equal(fromEnv.code, 1);
    assert.match(fromEnv.stderr, /^stowage: context "from-env" is not in the kubeconfig/);
    const fromFlag = await stowage([...args, "--context", "from-flag"], {
      env: { STOWAGE_CONTEXT: "from-env" },
    });
    assert.match(fromFlag.stderr, /^stowage: context "from-flag" is not in the kubeconfig/);
  });
});

describe("the store: flag > STOWAGE_STORE > config file default location > ./stowage-data", () => {
  const where = async (args: string[], env: Record<string, string> = {}, cwd?: string) => {
    const result = await stowage(["backup", "get", ...args], { env, ...(cwd ? { cwd } : {}) });
    assert.equal(result.code, 0, result.stderr);
    return /^No backups found in (.*)\.$/m.exec(result.stderr)?.[1];
  };

  test("each level overrides the next", async () => {
    const [flagDir, envDir, configDir, cwd] = [tempDir(), tempDir(), tempDir(), tempDir()];
    const config = join(tempDir(), "config.json");
    writeFileSync(
      config,
      JSON.stringify({
        defaultBackupLocation: "cfg",
        backupLocations: { cfg: { provider: "file", bucket: configDir } },
      }),
    );
    assert.equal(await where([], {}, cwd), `file://${cwd}/stowage-data`);
    assert.equal(await where([], { STOWAGE_CONFIG: config }), `file://${configDir}`);
    assert.equal(await where([], { STOWAGE_CONFIG: config, STOWAGE_STORE: envDir }), `file://${envDir}`);
    assert.equal(
      await where(["--store", flagDir], { STOWAGE_CONFIG: config, STOWAGE_STORE: envDir }),
      `file://${flagDir}`,
    );
    assert.equal(await where(["--config", config]), `file://${configDir}`);
  });

  test("s3:// stores take --s3-endpoint, else STOWAGE_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3", async () => {
    const env = { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_REGION: "us-east-1" };
    const probe = async (args: string[], extra: Record<string, string>) =>
      (await stowage(["backup", "get", "--store", "s3://b/p", ...args], { env: { ...env, ...extra } }))
        .stderr;
    assert.match(
      await probe(["--s3-endpoint", "http://127.0.0.1:1"], { STOWAGE_S3_ENDPOINT: "http://127.0.0.1:2" }),
      /endpoint http:\/\/127\.0\.0\.1:1\)/,
    );
    assert.match(
      await probe([], {
        STOWAGE_S3_ENDPOINT: "http://127.0.0.1:2",
        AWS_ENDPOINT_URL_S3: "http://127.0.0.1:3",
      }),
      /endpoint http:\/\/127\.0\.0\.1:2\)/,
    );
    assert.match(
      await probe([], { AWS_ENDPOINT_URL_S3: "http://127.0.0.1:3" }),
      /endpoint http:\/\/127\.0\.0\.1:3\)/,
    );
  });

  test("a broken config file is reported with its path", async () => {
    const config = join(tempDir(), "config.json");
    writeFileSync(config, "{ nope");
    const result = await stowage(["backup", "get", "--config", config]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^stowage: config file ${config} is not valid JSON`));
    writeFileSync(config, JSON.stringify({ kubeconfg: "x" }));
    const typo = await stowage(["backup", "get", "--config", config]);
    assert.match(typo.stderr, /unknown keys \[kubeconfg\]; valid keys are \[kubeconfig, /);
    writeFileSync(
      config,
      JSON.stringify({ volumeSnapshotLocations: { ebs: { provider: "aws", config: { region: 1 } } } }),
    );
    const badSnapshotLocation = await stowage(["backup", "get", "--config", config]);
    assert.equal(badSnapshotLocation.code, 1);
    assert.match(
      badSnapshotLocation.stderr,
      new RegExp(
        `^stowage: config file ${config}: volumeSnapshotLocations\\.ebs\\.config: expected an object of strings, got`,
      ),
    );
  });
});
