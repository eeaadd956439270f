// The CLI's pure parts: Go's tabwriter, velero's time formats and flag syntaxes, the backup order and
// the progress line.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { sortBackups } from "../../lib/cli/commands/backup-get.ts";
import { describeBackup } from "../../lib/cli/describe-backup.ts";
import { UsageError } from "../../lib/cli/errors.ts";
import { parseOrderedResources, parseOrSelectors } from "../../lib/cli/flags.ts";
import { formatTable, tabwrite } from "../../lib/cli/output.ts";
import { progressLine } from "../../lib/cli/progress.ts";
import { shortHumanDuration, timeFromNow } from "../../lib/cli/time-format.ts";
import type { Backup } from "../../lib/index.ts";

describe("tabwrite (Go's text/tabwriter, align left, space padding)", () => {
  test("a column block is a run of lines with that cell; text after the last tab is free", () => {
    // expected output produced by Go: tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
    const input =
      "Name:\tb1\nNamespace:\tvelero\nLabels:\ta=b\n\tc=d\n\nPhase:\tCompleted\n\nNamespaces:\n\tIncluded:\t*\n\tExcluded:\t<none>\n";
    assert.equal(
      tabwrite(input, { minWidth: 0, padding: 2 }),
      "Name:       b1\nNamespace:  velero\nLabels:     a=b\n            c=d\n\nPhase:  Completed\n\nNamespaces:\n  Included:  *\n  Excluded:  <none>\n",
    );
  });

  test("nested columns and velero's empty-slice cell", () => {
    const input = "Errors:\n\tVelero:\t\t<none>\n\tCluster:\tboom\n\tNamespaces: <none>\n";
    assert.equal(
      tabwrite(input, { minWidth: 0, padding: 2 }),
      "Errors:\n  Velero:     <none>\n  Cluster:  boom\n  Namespaces: <none>\n",
    );
  });

  test("tables: minwidth 6, padding 3", () => {
    assert.equal(
      formatTable(
        ["NAME", "ERRORS", "X"],
        [
          ["a", "0", "y"],
          ["longer-name", "10", "z"],
        ],
      ),
      "NAME          ERRORS   X\na             0        y\nlonger-name   10       z\n",
    );
  });
});

describe("time formats", () => {
  test("ShortHumanDuration", () => {
    assert.equal(shortHumanDuration(-5000), "<invalid>");
    assert.equal(shortHumanDuration(-500), "0s");
    assert.equal(shortHumanDuration(59_999), "59s");
    assert.equal(shortHumanDuration(3_599_000), "59m");
    assert.equal(shortHumanDuration(719.99 * 3_600_000), "29d");
    assert.equal(shortHumanDuration(800 * 24 * 3_600_000), "2y");
  });

  test("timeFromNow: future, past, unset", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(timeFromNow("2026-01-31T00:00:00Z", now), "30d");
    assert.equal(timeFromNow("2025-12-31T21:00:00Z", now), "3h ago");
    assert.equal(timeFromNow(undefined, now), "n/a");
  });
});

describe("velero flag syntaxes", () => {
  test("--ordered-resources", () => {
    assert.deepEqual(parseOrderedResources("pods=ns1/a, ns1/b;persistentvolumes=pv1;", []), {
      pods: "ns1/a,ns1/b",
      persistentvolumes: "pv1",
    });
    assert.throws(() => parseOrderedResources("pods", ["backup", "create"]), UsageError);
  });

  test("--or-selector", () => {
    assert.deepEqual(parseOrSelectors("app=a or tier in (x,y)  or  b"), ["app=a", "tier in (x,y)", "b"]);
  });
});

test("backups sort by name, schedule backups newest first within their schedule", () => {
  const b = (name: string): Backup => ({
    kind: "Backup",
    apiVersion: "velero.io/v1",
    metadata: { name },
    spec: {},
  });
  const names = sortBackups(
    ["nightly-20260101000000", "adhoc", "nightly-20260103000000", "zz", "nightly-20260102000000"].map(b),
  ).map((x) => x.metadata.name);
  assert.deepEqual(names, [
    "adhoc",
    "nightly-20260103000000",
    "nightly-20260102000000",
    "nightly-20260101000000",
    "zz",
  ]);
});

test("the progress line rewrites one line on a TTY and stays silent otherwise", () => {
  let written = "";
  const sink = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    }),
    { isTTY: true, columns: 200 },
  );
  const line = progressLine(sink, "b1");
  line.onProgress?.({
    phase: "collecting",
    itemsBackedUp: 3,
    totalItems: 3,
    resourcesDone: 1,
    resourcesTotal: 9,
  });
  line.onProgress?.({
    phase: "collecting",
    itemsBackedUp: 7,
    totalItems: 7,
    resourcesDone: 4,
    resourcesTotal: 9,
  });
  line.finish();
  assert.equal(
    written,
    '\r\x1b[KBacking up "b1": 3 items backed up, 1/9 resource types listed' +
      '\r\x1b[KBacking up "b1": 7 items backed up, 4/9 resource types listed\r\x1b[K',
  );
  assert.equal(progressLine(new Writable(), "b1").onProgress, undefined);
});

describe("describeBackup on what Velero writes", () => {
  const veleroBackup: Backup = {
    kind: "Backup",
    apiVersion: "velero.io/v1",
    metadata: { name: "nightly", namespace: "velero", labels: { "velero.io/schedule-name": "nightly" } },
    spec: {
      includedNamespaces: ["shop"],
      includeClusterResources: true,
      ttl: "72h0m0s",
      storageLocation: "default",
      hooks: {
        resources: [
          {
            name: "freeze",
            includedNamespaces: ["shop"],
            pre: [
              {
                exec: {
                  container: "db",
                  command: ["fsfreeze", "-f", "/data"],
                  onError: "Fail",
                  timeout: "30s",
                },
              },
            ],
          },
        ],
      },
    },
    status: {
      phase: "PartiallyFailed",
      formatVersion: "1.1.0",
      errors: 2,
      warnings: 1,
      volumeSnapshotsAttempted: 1,
      progress: { totalItems: 10, itemsBackedUp: 9 },
    },
  };

  test("old filters, counts without a results file, hooks, legacy snapshots and pod volume backups", () => {
    const text = describeBackup({
      backup: veleroBackup,
      results: null,
      volumeInfo: null,
      volumeSnapshots: [
        {
          spec: { persistentVolumeName: "pv-1", volumeType: "gp3", volumeAZ: "eu-west-1a", volumeIOPS: 3000 },
          status: { providerSnapshotID: "snap-1", phase: "Completed" },
        },
      ],
      podVolumeBackups: [
        {
          spec: { uploaderType: "kopia", volume: "data", pod: { namespace: "shop", name: "db-0" } },
          status: { phase: "Completed" },
        },
        {
          spec: { uploaderType: "kopia", volume: "logs", pod: { namespace: "shop", name: "db-0" } },
          status: { phase: "Failed" },
        },
      ],
      details: true,
      resourceList: { "v1/Pod": ["shop/db-0"], "apps/v1/StatefulSet": ["shop/db"] },
    });
    assert.match(
      text,
      /^Phase: +PartiallyFailed \(run `stowage backup logs nightly` for more information\)$/m,
    );
    assert.match(text, /\n\nErrors: +2\nWarnings: +1\n\n/);
    assert.match(
      text,
      /\nResources:\n {2}Included: +\*\n {2}Excluded: +<none>\n {2}Cluster-scoped: +included\n/,
    );
    assert.match(text, /\nVelero-Native Snapshot PVs: +auto\n/);
    assert.match(text, /\nHooks:\n {2}Resources:\n {4}freeze:\n {6}Namespaces:\n {8}Included: +shop\n/);
    assert.match(
      text,
      /\n {6}Pre Exec Hook:\n {8}Container: +db\n {8}Command: +fsfreeze -f \/data\n {8}On Error: +Fail\n {8}Timeout: +30s\n/,
    );
    assert.match(
      text,
      /\nResource List:\n {2}apps\/v1\/StatefulSet:\n {4}- shop\/db\n {2}v1\/Pod:\n {4}- shop\/db-0\n/,
    );
    assert.match(
      text,
      /\n {2}Velero-Native Snapshots:\n {4}pv-1:\n {6}Snapshot ID: +snap-1\n {6}Type: +gp3\n {6}Availability Zone: +eu-west-1a\n {6}IOPS: +3000\n {6}Result: +succeeded\n/,
    );
    assert.match(text, /\n {2}CSI Snapshots: <none included or not detectable>\n/);
    assert.match(
      text,
      /\n {2}Pod Volume Backups - kopia:\n {4}Completed:\n {6}shop\/db-0: data\n {4}Failed:\n {6}shop\/db-0: logs\n/,
    );
    assert.doesNotMatch(text, /HooksAttempted/, "no hookStatus, no hook counts");
  });

  test("without --details: pod volume backups are counted by phase", () => {
    const text = describeBackup({
      backup: { ...veleroBackup, status: { phase: "Completed" } },
      results: null,
      volumeInfo: [],
      volumeSnapshots: null,
      podVolumeBackups: [
        { spec: { uploaderType: "restic", volume: "v", pod: { namespace: "a", name: "p" } }, status: {} },
      ],
      details: false,
    });
    assert.match(text, /^Phase: +Completed$/m);
    assert.match(
      text,
      /\n {2}Pod Volume Backups - restic \(specify --details for more information\):\n {4}New: +1\n/,
    );
    assert.match(text, /\n {2}CSI Snapshots: <none included>\n/);
  });
});
