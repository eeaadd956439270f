// `stowage restore create|get|describe|logs` end to end: the real executable against the real
// control plane, restoring a backup the CLI made into a directory store.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import type { Cluster } from "../../lib/index.ts";
import { onCleanup } from "../support/cleanup.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { type CliResult, onTerminal, stowage, tempDir } from "./support.ts";

const ok = (result: CliResult, what: string): CliResult => {
  assert.equal(result.code, 0, `${what} exited ${result.code}: ${result.stderr}`);
  return result;
};

describe("stowage restore on a directory store", () => {
  let cluster: Cluster;
  let ns = "";
  let ns2 = "";
  let backupName = "";
  let restoreName = "";
  let kube: string[] = [];
  let store: string[] = [];
  const cli = (args: string[]) => stowage([...args, ...store]);
  const configMapIn = (namespace: string) => cluster.tryGet("configmaps", "settings", { namespace });

  before(async () => {
    const env = await testEnv();
    cluster = await connectTest();
    ns = await makeNamespace(cluster, "cli-restore");
    ns2 = `${ns}-copy`;
    onCleanup(() => cluster.delete("namespaces", ns2).catch(() => undefined));
    await cluster.create(
      "configmaps",
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "settings", labels: { app: "shop" } },
        data: { colour: "blue" },
      },
      { namespace: ns },
    );
    kube = ["--kubeconfig", env.kube.kubeconfig];
    store = ["--store", join(tempDir(), "store")];
    backupName = `${ns}-bk`;
    restoreName = `${ns}-r1`;
    ok(await cli(["backup", "create", backupName, ...kube, "--include-namespaces", ns, "--wait"]), "backup");
    await cluster.delete("configmaps", "settings", { namespace: ns });
    for (let i = 0; i < 100 && (await configMapIn(ns)); i++) await new Promise((r) => setTimeout(r, 100));
  });

  test("create --dry-run prints the plan and writes nothing", async () => {
    const result = ok(
      await cli(["restore", "create", "--from-backup", backupName, ...kube, "--dry-run"]),
      "restore --dry-run",
    );
    const [header, ...rows] = result.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^ACTION +RESOURCE +NAMESPACE +NAME +REASON$/);
    assert.ok(
      rows.some((row) => new RegExp(`^create +configmaps +${ns} +settings\\b`).test(row)),
      result.stdout,
    );
    assert.ok(!rows.some((row) => / filtered/.test(row)), "filtered entries hidden by default");
    assert.match(result.stderr, /Dry run of restore .*Nothing was written/);
    assert.equal(await configMapIn(ns), undefined);
    const json = JSON.parse(
      ok(
        await cli(["restore", "create", "--from-backup", backupName, ...kube, "--dry-run", "-o", "json"]),
        "restore --dry-run -o json",
      ).stdout,
    );
    assert.equal(json.dryRun, true);
    assert.ok(
      json.plan.some(
        (e: { action: string; resource: string; name: string }) =>
          e.action === "create" && e.resource === "configmaps" && e.name === "settings",
      ),
    );
    const none = await cli(["restore", "get"]);
    assert.equal(none.stdout, "");
    assert.match(none.stderr, /^No restores found in /);
  });

  test("create --namespace-mappings restores into the new namespace", async () => {
    const result = ok(
      await cli([
        "restore",
        "create",
        restoreName,
        "--from-backup",
        backupName,
        ...kube,
        "--namespace-mappings",
        `${ns}:${ns2}`,
        "--wait",
      ]),
      "restore create",
    );
    assert.match(
      result.stdout,
      new RegExp(
        `^Restore "${restoreName}" from backup "${backupName}" completed with status: Completed \\(\\d+ of \\d+ items restored`,
      ),
    );
    assert.equal(result.stderr, "", "no progress line when stderr is not a terminal");
    const copy = await configMapIn(ns2);
    assert.equal((copy?.data as Record<string, string> | undefined)?.colour, "blue");
    assert.equal(await configMapIn(ns), undefined, "the original namespace is left alone");
  });

  test("get lists the restore; -o json prints the records", async () => {
    const { stdout } = ok(await cli(["restore", "get"]), "restore get");
    const [header, row] = stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NAME +BACKUP +STATUS +WARNINGS +ERRORS +CREATED +SELECTOR$/);
    assert.match(
      row ?? "",
      new RegExp(`^${restoreName} +${backupName} +Completed +\\d+ +0 +\\d{4}-\\d\\d-\\d\\d .+ +<none>$`),
    );
    assert.equal(header?.indexOf("STATUS"), row?.indexOf("Completed"));
    const list = JSON.parse(ok(await cli(["restore", "get", "-o", "json"]), "get -o json").stdout);
    assert.equal(list.kind, "RestoreList");
    assert.deepEqual(
      list.items.map((r: { metadata: { name: string } }) => r.metadata.name),
      [restoreName],
    );
    const one = JSON.parse(ok(await cli(["restore", "get", restoreName, "-o", "json"]), "get NAME").stdout);
    assert.equal(one.kind, "Restore");
    assert.equal(one.spec.backupName, backupName);
    assert.deepEqual(one.spec.namespaceMapping, { [ns]: ns2 });
    const yaml = parseYaml(
      ok(await cli(["restore", "get", restoreName, "-o", "yaml"]), "get -o yaml").stdout,
    );
    assert.equal(yaml.status.phase, "Completed");
    const missing = await cli(["restore", "get", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /restore "nope" does not exist/);
  });

  test("describe shows the phase, backup, mappings and counts", async () => {
    const { stdout } = ok(await cli(["restore", "describe", restoreName]), "describe");
    assert.match(stdout, new RegExp(`^Name: +${restoreName}\n`));
    assert.match(stdout, /\nPhase: +Completed\n/);
    assert.match(stdout, new RegExp(`\nBackup: +${backupName}\n`));
    assert.match(stdout, new RegExp(`\nNamespace mappings: +${ns}=${ns2}\n`));
    assert.match(stdout, /\nTotal items to be restored: +\d+\nItems restored: +\d+\n/);
  });

  test("logs prints the gunzipped log", async () => {
    const { stdout } = ok(await cli(["restore", "logs", restoreName]), "logs");
    assert.match(stdout, /^time="[^"]+" level=info msg=/);
    assert.match(stdout, /restore completed with phase Completed/);
    const missing = await cli(["restore", "logs", "nope"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /restore "nope" does not exist/);
  });

  test("delete needs --confirm without a terminal, removes the restore from the store, not from the cluster", async () => {
    const refused = await cli(["restore", "delete", restoreName]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /deleting restores needs confirmation: pass --confirm/);
    const both = await cli(["restore", "delete", restoreName, "--all", "--confirm"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of them/);
    const deleted = ok(await cli(["restore", "delete", restoreName, "--confirm"]), "delete");
    assert.match(
      deleted.stdout,
      new RegExp(`^Restore "${restoreName}" deleted \\(\\d+ objects removed from `),
    );
    const gone = await cli(["restore", "get", restoreName]);
    assert.equal(gone.code, 1);
    const again = await cli(["restore", "delete", restoreName, "--confirm"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`restore "${restoreName}" does not exist in `));
    const none = await cli(["restore", "delete", "--all", "--confirm"]);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /^No restores to delete in /);
  });

  test("on a terminal, create shows a progress line on stderr", async () => {
    const screen = await onTerminal([
      ...["restore", "create", `${ns}-tty`, "--from-backup", backupName, "--dry-run"],
      ...kube,
      ...store,
    ]);
    assert.match(screen, new RegExp(`\r\x1b\\[KRestoring "${ns}-tty": \\d+/\\d+ items restored`));
  });

  test("usage errors exit 2", async () => {
    const usage = async (args: string[], message: RegExp) => {
      const result = await cli(["restore", "create", ...args, ...kube]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /run "stowage restore create --help" for usage/);
    };
    await usage(
      ["--from-backup", backupName, "--from-schedule", "nightly"],
      /exactly one of --from-backup and --from-schedule is required, received both/,
    );
    await usage([], /exactly one of --from-backup and --from-schedule is required, received neither/);
    await usage(
      ["--from-backup", backupName, "--namespace-mappings", "justone"],
      /invalid value "justone" for --namespace-mappings/,
    );
    await usage(
      ["--from-backup", backupName, "--existing-resource-policy", "replace"],
      /invalid value "replace" for --existing-resource-policy/,
    );
  });
});
