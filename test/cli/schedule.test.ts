// `stowage schedule get`: schedules previewed from runner scripts (never started), next runs, the
// newest backup of each schedule from the store, and broken scripts reported by path with exit 1.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { backup, fsStore, listBackups } from "../../lib/index.ts";
import { testEnv } from "../support/env.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { stowage, tempDir } from "./support.ts";

const NIGHTLY = `import { schedule } from "stowage";
schedule({ name: "shop-nightly", cron: "0 2 * * *", timezone: "America/New_York", run: () => {} });
schedule({ name: "hourly", cron: "@hourly", paused: true, run: () => {} });
`;

describe("stowage schedule get", () => {
  test("lists schedules with their next runs and their newest backup in the store", async () => {
    const dir = tempDir();
    const scripts = join(dir, "scripts");
    const storeDir = join(dir, "backups");
    mkdirSync(scripts);
    writeFileSync(join(scripts, "nightly.ts"), NIGHTLY);
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "sched-get");
    const store = fsStore(storeDir);
    const common = {
      cluster,
      store,
      includedNamespaces: [ns],
      labels: { "velero.io/schedule-name": "shop-nightly" },
    };
    await backup({
      ...common,
      name: "shop-nightly-20261120070000",
      now: () => new Date(Date.now() - 2 * 86400e3),
    });
    await backup({
      ...common,
      name: "shop-nightly-20261121070000",
      now: () => new Date(Date.now() - 86400e3),
    });

    const table = await stowage(["schedule", "get", "--scripts", scripts, "--store", storeDir]);
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NAME\s+STATUS\s+SCHEDULE\s+TIMEZONE\s+NEXT RUN\s+LAST BACKUP\s+SCRIPT$/);
    const byName = Object.fromEntries(rows.map((row) => [row.split(/\s+/)[0], row]));
    assert.match(byName["shop-nightly"] ?? "", /Enabled\s+0 2 \* \* \*\s+America\/New_York/);
    assert.match(byName["shop-nightly"] ?? "", /shop-nightly-20261121070000 \(1d ago\)/);
    assert.match(byName.hourly ?? "", /Paused\s+@hourly\s+UTC .* n\/a /);

    const json = await stowage([
      "schedule",
      "get",
      "shop-nightly",
      "--scripts",
      join(scripts, "nightly.ts"),
      "--store",
      storeDir,
      "-o",
      "json",
      "--next",
      "3",
    ]);
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as {
      schedules: { name: string; nextRuns: string[]; lastBackup: string; timezone: string }[];
    };
    assert.equal(parsed.schedules.length, 1);
    const [nightly] = parsed.schedules;
    assert.equal(nightly?.lastBackup, "shop-nightly-20261121070000");
    assert.equal(nightly?.nextRuns.length, 3);
    for (const run of nightly?.nextRuns ?? []) {
      // 02:00 in New York is 07:00Z (EST) or 06:00Z (EDT)
      assert.match(run, /T0[67]:00:00\.000Z$/);
      assert.ok(Date.parse(run) > Date.now());
    }
  });

  test("a broken script is reported by path and the command exits 1; the good ones still list", async () => {
    const scripts = tempDir();
    writeFileSync(join(scripts, "nightly.ts"), NIGHTLY);
    writeFileSync(
      join(scripts, "broken.ts"),
      'import { schedule } from "stowage";\nschedule({ name: "x", cron: "every day", run: () => {} });\n',
    );
    const result = await stowage(["schedule", "get", "--scripts", scripts, "--store", tempDir()]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `script ${join(scripts, "broken.ts")} not loaded: invalid schedule "x": cron: expected 5 fields`,
      ),
    );
    assert.match(result.stdout, /^shop-nightly /m);
    const unknown = await stowage([
      "schedule",
      "get",
      "nope",
      "--scripts",
      join(scripts, "nightly.ts"),
      "--store",
      tempDir(),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /schedule "nope" is not defined by any script/);
  });

  test("backup create --from-schedule runs the schedule once: a labelled <schedule>-<timestamp> backup", async () => {
    const { kube } = await testEnv();
    const cluster = await connectTest();
    const ns = await makeNamespace(cluster, "from-sched");
    await cluster.create("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: ns },
    });
    const scripts = tempDir();
    writeFileSync(
      join(scripts, "nightly.ts"),
      `import { connect, schedule, scheduledBackup, storeFromEnv } from "stowage";
const cluster = await connect();
schedule({ name: "shop-nightly", cron: "0 2 * * *", run: scheduledBackup({ cluster, store: storeFromEnv(), includedNamespaces: ["${ns}"] }) });
`,
    );
    const storeDir = join(tempDir(), "backups");
    const common = ["--kubeconfig", kube.kubeconfig, "--store", storeDir, "--scripts", scripts];
    const result = await stowage(["backup", "create", "--from-schedule", "shop-nightly", ...common]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^Schedule "shop-nightly" ran \(.*nightly\.ts\): succeeded, \d+ items in [\d.]+ s; backup "shop-nightly-\d{14}"$/m,
    );
    const [saved] = await listBackups(fsStore(storeDir));
    assert.match(saved?.metadata?.name ?? "", /^shop-nightly-\d{14}$/);
    assert.equal(saved?.metadata?.labels?.["velero.io/schedule-name"], "shop-nightly");

    const withName = await stowage(["backup", "create", "x", "--from-schedule", "shop-nightly", ...common]);
    assert.equal(withName.code, 2);
    assert.match(withName.stderr, /NAME is not used with --from-schedule/);
    const unknown = await stowage(["backup", "create", "--from-schedule", "nope", ...common]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /schedule "nope" is not defined by any script .* \(defined: \[shop-nightly\]\)/,
    );
  });
});
