// `stowage backup create|get|describe|logs|download|delete` end to end: the real executable against
// the real control plane, on a directory store and on MinIO (s3://bucket/prefix).
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { type CliResult, minioEnv, onTerminal, stowage, tempBucket, tempDir } from "./support.ts";

interface StoreCase {
  readonly title: string;
  /** Flags that select the store, and the environment the CLI needs for it. */
  setup(): Promise<{ flags: string[]; env: Record<string, string>; location: RegExp }>;
}

const cases: StoreCase[] = [
  {
    title: "directory store",
    async setup() {
      const dir = join(tempDir(), "backups");
      return { flags: ["--store", dir], env: {}, location: new RegExp(`file://${dir}`) };
    },
  },
  {
    title: "MinIO store (s3://bucket/prefix)",
    async setup() {
      const { minio } = await testEnv();
      const bucket = await tempBucket();
      return {
        flags: ["--store", `s3://${bucket}/velero`, "--s3-endpoint", minio.endpoint],
        env: await minioEnv(),
        location: new RegExp(`s3://${bucket}/velero`),
      };
    },
  },
];

const ok = (result: CliResult, what: string): CliResult => {
  assert.equal(result.code, 0, `${what} exited ${result.code}: ${result.stderr}`);
  return result;
};

for (const c of cases) {
  describe(`stowage backup on a ${c.title}`, () => {
    let ns = "";
    let name = "";
    let kube: string[] = [];
    let store: Awaited<ReturnType<StoreCase["setup"]>> = { flags: [], env: {}, location: /$^/ };
    before(async () => {
      const env = await testEnv();
      const cluster = await connectTest();
      ns = await makeNamespace(cluster, "cli");
      await cluster.create(
        "configmaps",
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", labels: { app: "shop" } } },
        { namespace: ns },
      );
      store = await c.setup();
      kube = ["--kubeconfig", env.kube.kubeconfig];
      name = `${ns}-full`;
    });
    const cli = (args: string[]) => stowage([...args, ...store.flags], { env: store.env });

    test("create backs up the namespace and says so", async () => {
      const result = ok(
        await cli([
          "backup",
          "create",
          name,
          ...kube,
          "--include-namespaces",
          ns,
          "--labels",
          "team=a",
          "--wait",
        ]),
        "create",
      );
      assert.match(
        result.stdout,
        new RegExp(`Backup "${name}" completed with status: Completed \\(\\d+ items`),
      );
      assert.match(result.stdout, store.location);
      assert.equal(result.stderr, "", "no progress line when stderr is not a terminal");
    });

    test("create refuses a name that exists (exit 1, the SDK's message)", async () => {
      const result = await cli(["backup", "create", name, ...kube, "--include-namespaces", ns]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^stowage: backup "${name}" already exists`));
    });

    test("get prints velero's table", async () => {
      const { stdout } = ok(await cli(["backup", "get"]), "get");
      const [header, row] = stdout.trimEnd().split("\n");
      assert.match(
        header ?? "",
        /^NAME +STATUS +ERRORS +WARNINGS +CREATED +EXPIRES +STORAGE LOCATION +SELECTOR$/,
      );
      assert.match(
        row ?? "",
        new RegExp(
          `^${name} +Completed +0 +0 +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4} \\S+ +29d +default +<none>$`,
        ),
      );
      // columns line up: each header starts where its cells start
      assert.equal(header?.indexOf("STATUS"), row?.indexOf("Completed"));
    });

    test("get -o json prints velero-backup.json; -o yaml a BackupList", async () => {
      const json = JSON.parse(ok(await cli(["backup", "get", name, "-o", "json"]), "get -o json").stdout);
      assert.equal(json.kind, "Backup");
      assert.equal(json.apiVersion, "velero.io/v1");
      assert.equal(json.metadata.name, name);
      assert.equal(json.metadata.labels.team, "a");
      assert.deepEqual(json.spec.includedNamespaces, [ns]);
      const yaml = parseYaml(ok(await cli(["backup", "get", "-o", "yaml"]), "get -o yaml").stdout);
      assert.equal(yaml.kind, "BackupList");
      assert.deepEqual(
        yaml.items.map((b: { metadata: { name: string } }) => b.metadata.name),
        [name],
      );
    });

    test("get -l filters on the backup's labels", async () => {
      assert.match(ok(await cli(["backup", "get", "-l", "team=a"]), "get -l").stdout, new RegExp(name));
      const none = ok(await cli(["backup", "get", "-l", "team=b"]), "get -l");
      assert.equal(none.stdout, "");
      assert.match(none.stderr, /^No backups found in /);
    });

    test("describe prints velero's description; --details adds the resource list", async () => {
      const plain = ok(await cli(["backup", "describe", name]), "describe").stdout;
      assert.match(plain, new RegExp(`^Name: +${name}\nNamespace: +velero\n`));
      assert.match(plain, /\nLabels: +team=a\n +velero\.io\/storage-location=default\n/);
      assert.match(plain, /\nPhase: +Completed\n/);
      assert.match(plain, new RegExp(`\nNamespaces:\n  Included: +${ns}\n  Excluded: +<none>\n`));
      assert.match(plain, /\nResources:\n {2}Included cluster-scoped: +<none>\n/);
      assert.match(plain, /\nStorage Location: +default\n/);
      assert.match(plain, /\nTTL: +720h0m0s\n/);
      assert.match(plain, /\nBackup Format Version: +1\.1\.0\n/);
      assert.match(plain, /\nTotal items to be backed up: +\d+\nItems backed up: +\d+\n/);
      assert.match(plain, /\nBackup Volumes:\n {2}Velero-Native Snapshots: <none included>\n/);
      assert.doesNotMatch(plain, /Resource List/);
      const details = ok(await cli(["backup", "describe", name, "--details"]), "describe --details").stdout;
      assert.match(
        details,
        new RegExp(
          `\nResource List:\n(  .+:\n(    - .+\n)+)*  v1/ConfigMap:\n(    - .+\n)*    - ${ns}/settings\n`,
        ),
      );
      assert.match(details, new RegExp(`\n  v1/Namespace:\n    - ${ns}\n`));
    });

    test("logs prints the gunzipped log", async () => {
      const { stdout } = ok(await cli(["backup", "logs", name]), "logs");
      assert.match(
        stdout,
        new RegExp(`^time="[^"]+" level=info msg="Including namespaces: ${ns}" backup=velero/${name}`),
      );
      assert.match(stdout, /Backup completed with phase Completed/);
    });

    test("download writes <name>-data.tar.gz, refuses to overwrite without --force, honours -o", async () => {
      const cwd = tempDir();
      const run = (args: string[]) =>
        stowage(["backup", "download", name, ...args, ...store.flags], { env: store.env, cwd });
      const first = ok(await run([]), "download");
      const file = join(cwd, `${name}-data.tar.gz`);
      assert.match(first.stdout, new RegExp(`Backup ${name} has been successfully downloaded to ${file}`));
      const tar = gunzipSync(readFileSync(file));
      assert.equal(tar.subarray(0, 16).toString("utf8").replace(/\0.*$/s, ""), "metadata/version");
      const again = await run([]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists: remove it first, or pass --force/);
      ok(await run(["--force"]), "download --force");
      ok(await run(["-o", "copy.tgz"]), "download -o");
      assert.equal(statSync(join(cwd, "copy.tgz")).size, statSync(file).size);
      for (const downloaded of [file, join(cwd, "copy.tgz")]) {
        assert.equal(statSync(downloaded).mode & 0o777, 0o600, `${downloaded} is readable by its owner only`);
      }
    });

    test("delete needs --confirm without a terminal, then removes the backup and the restores made from it", async () => {
      const restoreName = `${ns}-copy`;
      onCleanup(async () => (await connectTest()).delete("namespaces", restoreName).catch(() => undefined));
      ok(
        await cli([
          "restore",
          "create",
          restoreName,
          "--from-backup",
          name,
          ...kube,
          "--namespace-mappings",
          `${ns}:${restoreName}`,
        ]),
        "restore",
      );
      ok(await cli(["restore", "get", restoreName]), "restore get");
      const refused = await cli(["backup", "delete", name]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /pass --confirm/);
      assert.match(refused.stderr, /run "stowage backup delete --help" for usage/);
      const deleted = ok(await cli(["backup", "delete", name, "--confirm"]), "delete");
      assert.match(
        deleted.stdout,
        new RegExp(
          `Backup "${name}" deleted \\(\\d+ objects removed from .*, its restore\\(s\\) ${restoreName} removed\\)`,
        ),
      );
      const restoreGone = await cli(["restore", "get", restoreName]);
      assert.equal(restoreGone.code, 1, "the restore went with its backup, as in Velero");
      const gone = await cli(["backup", "get", name]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, new RegExp(`^stowage: backup "${name}" does not exist in `));
      const again = await cli(["backup", "delete", name, "--confirm"]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /does not exist/);
    });

    test("a PartiallyFailed backup exits 0 without --wait and 1 with it; describe points at the logs", async () => {
      const missing = `missing-${ns}`;
      const quiet = await cli(["backup", "create", `${ns}-pf1`, ...kube, "--include-namespaces", missing]);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.match(quiet.stdout, /completed with status: PartiallyFailed/);
      const waited = await cli([
        "backup",
        "create",
        `${ns}-pf2`,
        ...kube,
        "--include-namespaces",
        missing,
        "-w",
      ]);
      assert.equal(waited.code, 1);
      assert.match(waited.stdout, /completed with status: PartiallyFailed \(0 items, 0 warnings, 1 errors/);
      const text = ok(await cli(["backup", "describe", `${ns}-pf2`]), "describe").stdout;
      assert.match(
        text,
        new RegExp(
          `\nPhase: +PartiallyFailed \\(run \`stowage backup logs ${ns}-pf2\` for more information\\)\n`,
        ),
      );
      assert.match(
        text,
        new RegExp(
          `\nErrors:\n  Velero: +included namespace "${missing}" does not exist in the cluster\n  Cluster: +<none>\n  Namespaces: <none>\n`,
        ),
      );
    });
  });
}

test("backup create with the old filters, selectors, ordering and ttl records them in the spec", async () => {
  const env = await testEnv();
  const cluster = await connectTest();
  const ns = await makeNamespace(cluster, "cli-flags");
  const dir = join(tempDir(), "store");
  const name = `${ns}-flags`;
  const created = await stowage([
    "backup",
    "create",
    name,
    "--kubeconfig",
    env.kube.kubeconfig,
    "--store",
    dir,
    "--include-namespaces",
    ns,
    "--include-resources",
    "configmaps,secrets",
    "--include-cluster-resources=false",
    "-l",
    "app=shop",
    "--ttl",
    "24h",
    "--annotations",
    "note=cli",
    "--ordered-resources",
    `configmaps=${ns}/a,${ns}/b`,
    "-o",
    "json",
  ]);
  assert.equal(created.code, 0, created.stderr);
  const backup = JSON.parse(created.stdout);
  assert.equal(backup.metadata.name, name);
  assert.deepEqual(backup.spec.includedResources, ["configmaps", "secrets"]);
  assert.equal(backup.spec.includeClusterResources, false);
  assert.deepEqual(backup.spec.labelSelector, { matchLabels: { app: "shop" } });
  assert.equal(backup.spec.ttl, "24h0m0s");
  assert.equal(backup.metadata.annotations.note, "cli");
  assert.deepEqual(backup.spec.orderedResources, { configmaps: `${ns}/a,${ns}/b` });
  const described = await stowage(["backup", "describe", name, "--store", dir]);
  assert.match(
    described.stdout,
    /\nResources:\n {2}Included: +configmaps, secrets\n {2}Excluded: +<none>\n {2}Cluster-scoped: +excluded\n/,
  );
  assert.match(described.stdout, /\nLabel selector: +app=shop\n/);
  assert.match(described.stdout, /\nOrderedResources:\n {2}configmaps: /);
  const table = await stowage(["backup", "get", "--store", dir]);
  assert.match(table.stdout, new RegExp(`^${name} .* 23h +default +app=shop$`, "m"));
  assert.ok(existsSync(join(dir, "backups", name, "velero-backup.json")));
});

test("on a terminal: create shows a progress line on stderr, delete asks before deleting", async () => {
  // util-linux `script` gives the CLI a pseudo-terminal, as an interactive shell would
  const env = await testEnv();
  const cluster = await connectTest();
  const ns = await makeNamespace(cluster, "cli-tty");
  const dir = join(tempDir(), "store");
  const name = `${ns}-tty`;
  const created = await onTerminal([
    ...["backup", "create", name, "--include-namespaces", ns],
    ...["--kubeconfig", env.kube.kubeconfig, "--store", dir],
  ]);
  assert.match(created, new RegExp(`\r\x1b\\[KBacking up "${name}": \\d+ items backed up`));
  assert.match(created, new RegExp(`\r\x1b\\[KBackup "${name}" completed with status: Completed`));
  const kept = await onTerminal(["backup", "delete", name, "--store", dir], "n");
  assert.match(
    kept,
    new RegExp(
      `Delete backup "${name}" from file://${dir}\\? Are you sure you want to continue \\(Y/N\\)\\? `,
    ),
  );
  assert.match(kept, /Nothing deleted\./);
  const deleted = await onTerminal(["backup", "delete", name, "--store", dir], "y");
  assert.match(deleted, new RegExp(`Backup "${name}" deleted`));
});
