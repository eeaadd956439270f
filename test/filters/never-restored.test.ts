import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ALWAYS_RESTORED_RESOURCES,
  isAlwaysRestored,
  isNeverRestored,
  NEVER_RESTORED_RESOURCES,
  type RestoreCandidate,
  restoreSkipReason,
} from "../../lib/filters/index.ts";

describe("never-restored resources", () => {
  test("Velero's nonRestorableResources, exactly", () => {
    assert.deepEqual(NEVER_RESTORED_RESOURCES, [
      "nodes",
      "events",
      "events.events.k8s.io",
      "backups.velero.io",
      "restores.velero.io",
      "resticrepositories.velero.io",
      "csinodes.storage.k8s.io",
      "volumeattachments.storage.k8s.io",
      "backuprepositories.velero.io",
    ]);
    assert.deepEqual(ALWAYS_RESTORED_RESOURCES, [
      "datauploads.velero.io",
      "volumesnapshotcontents.snapshot.storage.k8s.io",
    ]);
    assert.ok(Object.isFrozen(NEVER_RESTORED_RESOURCES));
  });

  test("isNeverRestored / isAlwaysRestored take group-resource strings", () => {
    const table: [string, boolean, boolean][] = [
      ["nodes", true, false],
      ["events", true, false],
      ["events.events.k8s.io", true, false],
      ["backuprepositories.velero.io", true, false],
      ["pods", false, false],
      ["node", false, false],
      ["schedules.velero.io", false, false],
      ["datauploads.velero.io", false, true],
      ["volumesnapshotcontents.snapshot.storage.k8s.io", false, true],
    ];
    for (const [gr, never, always] of table) {
      assert.equal(isNeverRestored(gr), never, gr);
      assert.equal(isAlwaysRestored(gr), always, gr);
    }
  });
});

describe("restoreSkipReason: per-item skips", () => {
  // group-resource, item, reason pattern (undefined: restored)
  const table: [string, RestoreCandidate, RegExp | undefined][] = [
    ["pods", { metadata: { annotations: { "kubernetes.io/config.mirror": "abc" } } }, /mirror pod/],
    ["pods", { metadata: { annotations: { "kubernetes.io/config.mirror": "" } } }, /mirror pod/],
    ["pods", { metadata: { annotations: { other: "x" } }, status: { phase: "Running" } }, undefined],
    ["pods", { status: { phase: "Succeeded" } }, /status.phase Succeeded/],
    ["pods", { status: { phase: "Failed" } }, /status.phase Failed/],
    ["pods", { status: { phase: "Pending" } }, undefined],
    ["pods", {}, undefined],
    ["pods", { metadata: null, status: null }, undefined],
    ["jobs.batch", { status: { completionTime: "2026-01-01T00:00:00Z" } }, /status.completionTime 2026/],
    ["jobs.batch", { status: { completionTime: "" } }, undefined],
    ["jobs.batch", { status: { active: 1 } }, undefined],
    // the rules are per resource: a configmap with those fields is restored
    ["configmaps", { metadata: { annotations: { "kubernetes.io/config.mirror": "x" } } }, undefined],
    ["deployments.apps", { status: { phase: "Succeeded", completionTime: "x" } }, undefined],
  ];
  for (const [gr, item, reason] of table)
    test(`${gr} ${JSON.stringify(item)} → ${reason ?? "restored"}`, () => {
      const got = restoreSkipReason(gr, item);
      if (reason === undefined) assert.equal(got, undefined);
      else assert.match(got ?? "", reason);
    });
});
