import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveActions } from "../../lib/actions/registry.ts";
import { runBackupActions, runRestoreActions } from "../../lib/actions/run.ts";
import type { BackupItemAction, RestoreItemAction } from "../../lib/actions/types.ts";
import { AbortError } from "../../lib/errors.ts";
import type { KubeObject } from "../../lib/kube/types.ts";
import { backupInfo, fakeDiscovery, noCluster, recordingLog, restoreInfo } from "./support.ts";

const pod = (): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "shop", labels: { app: "web" }, annotations: { keep: "me" } },
  spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
});

const backupRun = (item: KubeObject, extra: { groupResource?: string; signal?: AbortSignal } = {}) => ({
  item,
  backup: backupInfo(),
  log: recordingLog().log,
  cluster: noCluster,
  signal: extra.signal ?? new AbortController().signal,
  groupResource: extra.groupResource ?? "pods",
});

const annotate = (name: string, key: string): BackupItemAction => ({
  name,
  execute: ({ item }) => {
    item.metadata!.annotations = {
      ...item.metadata!.annotations,
      [key]: String(Object.keys(item.metadata!.annotations ?? {}).length),
    };
    return { item };
  },
});

describe("runBackupActions", () => {
  test("runs actions in order, each on the previous output; the caller's item is untouched", async () => {
    const item = pod();
    const before = structuredClone(item);
    const outcome = await runBackupActions(
      [
        annotate("example.io/first", "first"),
        {
          name: "example.io/copying",
          execute: async ({ item: current }) => ({
            item: {
              ...current,
              metadata: {
                ...current.metadata,
                labels: { app: "web", seen: current.metadata!.annotations!["first"]! },
              },
            },
          }),
        },
        annotate("example.io/third", "third"),
      ],
      backupRun(item),
    );
    assert.deepEqual(outcome.errors, []);
    assert.deepEqual(outcome.ran, ["example.io/first", "example.io/copying", "example.io/third"]);
    assert.deepEqual(outcome.item.metadata?.annotations, { keep: "me", first: "1", third: "2" });
    assert.deepEqual(outcome.item.metadata?.labels, { app: "web", seen: "1" });
    assert.deepEqual(item, before);
  });

  test("an action returning nothing keeps the item (with its in-place edits)", async () => {
    const outcome = await runBackupActions(
      [
        {
          name: "example.io/in-place",
          execute: ({ item }) => {
            item.metadata!.labels!["touched"] = "yes";
          },
        },
        { name: "example.io/noop", execute: () => undefined },
      ],
      backupRun(pod()),
    );
    assert.equal(outcome.item.metadata?.labels?.["touched"], "yes");
  });

  test("a throwing action becomes one item error naming the action and the item; later actions do not run", async () => {
    const item = pod();
    let laterRan = false;
    const outcome = await runBackupActions(
      [
        {
          name: "example.io/ok",
          execute: () => ({ additionalItems: [{ resource: "pvc", namespace: "shop", name: "data" }] }),
        },
        {
          name: "example.io/boom",
          execute: () => {
            throw new Error("kaput");
          },
        },
        {
          name: "example.io/later",
          execute: () => {
            laterRan = true;
          },
        },
      ],
      backupRun(item),
    );
    assert.equal(laterRan, false);
    assert.equal(outcome.errors.length, 1);
    assert.equal(outcome.errors[0]!.action, "example.io/boom");
    assert.equal(outcome.errors[0]!.message, "pods shop/web: action example.io/boom failed: kaput");
    assert.ok(outcome.errors[0]!.cause instanceof Error);
    assert.equal(outcome.item, item);
    // additional items of actions that ran before the failure are kept (Velero has backed them up by then)
    assert.deepEqual(outcome.additionalItems, [
      { resource: "pvc", namespace: "shop", name: "data", action: "example.io/ok", mustInclude: false },
    ]);
  });

  test("a mutating-then-throwing action leaves the original item intact", async () => {
    const item = pod();
    const before = structuredClone(item);
    const outcome = await runBackupActions(
      [
        annotate("example.io/first", "first"),
        {
          name: "example.io/half",
          execute: async ({ item: current }) => {
            current.metadata!.name = "mangled";
            (current["spec"] as { containers: unknown[] }).containers.length = 0;
            delete current.metadata!.labels;
            throw new Error("halfway");
          },
        },
      ],
      backupRun(item),
    );
    assert.equal(outcome.errors.length, 1);
    assert.equal(outcome.item, item);
    assert.deepEqual(item, before);
  });

  test("a rejected promise or a thrown non-Error is reported too; cluster-scoped items have no namespace", async () => {
    const pv: KubeObject = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "pv-1" } };
    const rejected = await runBackupActions(
      [{ name: "example.io/rejects", execute: () => Promise.reject("no disk") }],
      backupRun(pv, { groupResource: "persistentvolumes" }),
    );
    assert.equal(
      rejected.errors[0]!.message,
      "persistentvolumes pv-1: action example.io/rejects failed: no disk",
    );
    const thrown = await runBackupActions(
      [
        {
          name: "example.io/throws-object",
          execute: () => {
            throw { code: 7 };
          },
        },
      ],
      backupRun(pv, { groupResource: "persistentvolumes" }),
    );
    assert.equal(
      thrown.errors[0]!.message,
      'persistentvolumes pv-1: action example.io/throws-object failed: {"code":7}',
    );
  });

  const garbage: Array<[string, (item: KubeObject) => unknown, RegExp]> = [
    ["null", () => null, /expected undefined or an object .*received null/],
    ["an array", () => [], /received an array/],
    ["a string", () => "ok", /received string/],
    [
      "Velero's field name",
      (item) => ({ updatedItem: item }),
      /unknown field "updatedItem": expected item, additionalItems$/,
    ],
    ["the object itself", (item) => item, /it returned the object itself: return \{ item \} instead/],
    [
      "an item without metadata",
      () => ({ item: { kind: "Pod" } }),
      /item must be a Kubernetes object with metadata/,
    ],
    [
      "an item without a name",
      () => ({ item: { kind: "Pod", metadata: { namespace: "shop" } } }),
      /item.metadata.name is missing/,
    ],
    [
      "a renamed item",
      (item) => ({ item: { ...item, metadata: { ...item.metadata, name: "other" } } }),
      /renamed the item from "web" to "other"/,
    ],
    [
      "a moved item",
      (item) => ({ item: { ...item, metadata: { ...item.metadata, namespace: "prod" } } }),
      /moved the item from namespace "shop" to "prod"/,
    ],
    [
      "another kind",
      (item) => ({ item: { ...item, kind: "Deployment" } }),
      /changed kind from Pod to Deployment/,
    ],
    [
      "additionalItems not an array",
      () => ({ additionalItems: { resource: "pvc" } }),
      /additionalItems must be an array/,
    ],
    [
      "an additional item without a name",
      () => ({ additionalItems: [{ resource: "pvc", namespace: "shop" }] }),
      /additionalItems\[0\] needs a name/,
    ],
    [
      "an additional item without a resource",
      () => ({ additionalItems: [{ name: "x" }] }),
      /additionalItems\[0\] needs a resource/,
    ],
    [
      "skip from a backup action",
      () => ({ skip: true }),
      /backup actions cannot return skip: annotate the item velero.io\/skip-from-backup/,
    ],
  ];
  for (const [what, produce, expected] of garbage) {
    test(`returning ${what} is an item error`, async () => {
      const item = pod();
      const outcome = await runBackupActions(
        [{ name: "example.io/bad", execute: ({ item: i }) => produce(i) as never }],
        backupRun(item),
      );
      assert.equal(outcome.errors.length, 1, what);
      assert.match(
        outcome.errors[0]!.message,
        /^pods shop\/web: action example.io\/bad returned an invalid result: /,
      );
      assert.match(outcome.errors[0]!.message, expected);
      assert.equal(outcome.item, item);
    });
  }

  test("apiVersion may change (Velero's CRD remap does that)", async () => {
    const outcome = await runBackupActions(
      [{ name: "example.io/remap", execute: ({ item }) => ({ item: { ...item, apiVersion: "v1beta1" } }) }],
      backupRun(pod()),
    );
    assert.deepEqual(outcome.errors, []);
    assert.equal(outcome.item.apiVersion, "v1beta1");
  });

  test("collects additional items with the action that asked, normalising an empty namespace away", async () => {
    const outcome = await runBackupActions(
      [
        {
          name: "example.io/a",
          execute: () => ({ additionalItems: [{ resource: "pv", namespace: "", name: "pv-1" }] }),
        },
        {
          name: "example.io/b",
          execute: () => ({ additionalItems: [{ resource: "pvc", namespace: "shop", name: "c" }] }),
        },
      ],
      backupRun(pod()),
    );
    assert.deepEqual(outcome.additionalItems, [
      { resource: "pv", name: "pv-1", action: "example.io/a", mustInclude: false },
      { resource: "pvc", namespace: "shop", name: "c", action: "example.io/b", mustInclude: false },
    ]);
  });

  test("velero.io/skip-from-backup on a returned item skips it; that action's additional items are dropped", async () => {
    const outcome = await runBackupActions(
      [
        { name: "example.io/a", execute: () => ({ additionalItems: [{ resource: "pv", name: "pv-1" }] }) },
        {
          name: "example.io/skipper",
          execute: ({ item }) => {
            item.metadata!.annotations!["velero.io/skip-from-backup"] = "";
            return { item, additionalItems: [{ resource: "pv", name: "pv-2" }] };
          },
        },
        annotate("example.io/never", "never"),
      ],
      backupRun(pod()),
    );
    assert.deepEqual(outcome.skip, {
      action: "example.io/skipper",
      reason: "example.io/skipper annotated the item velero.io/skip-from-backup",
    });
    assert.deepEqual(outcome.ran, ["example.io/a", "example.io/skipper"]);
    assert.deepEqual(
      outcome.additionalItems.map((a) => a.name),
      ["pv-1"],
    );
  });

  test('backup.velero.io/must-include-additional-items: "true" marks that action\'s additional items and is removed', async () => {
    const outcome = await runBackupActions(
      [
        {
          name: "example.io/must",
          execute: ({ item }) => {
            item.metadata!.annotations!["backup.velero.io/must-include-additional-items"] = "true";
            return { item, additionalItems: [{ resource: "pv", name: "pv-1" }] };
          },
        },
        {
          name: "example.io/plain",
          execute: () => ({ additionalItems: [{ resource: "pv", name: "pv-2" }] }),
        },
      ],
      backupRun(pod()),
    );
    assert.deepEqual(
      outcome.additionalItems.map((a) => [a.name, a.mustInclude]),
      [
        ["pv-1", true],
        ["pv-2", false],
      ],
    );
    assert.deepEqual(outcome.item.metadata?.annotations, { keep: "me" });
  });

  test("an aborted signal rejects with AbortError instead of an item error", async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      runBackupActions([annotate("example.io/a", "a")], backupRun(pod(), { signal: controller.signal })),
      (error: unknown) =>
        error instanceof AbortError && /before action example.io\/a on pods shop\/web/.test(error.message),
    );
    const midway = new AbortController();
    await assert.rejects(
      runBackupActions(
        [
          {
            name: "example.io/slow",
            execute: ({ signal }) => {
              midway.abort();
              throw signal.reason;
            },
          },
        ],
        backupRun(pod(), { signal: midway.signal }),
      ),
      AbortError,
    );
  });

  test("no actions: the item comes back as is", async () => {
    const item = pod();
    const outcome = await runBackupActions([], backupRun(item));
    assert.equal(outcome.item, item);
    assert.deepEqual(outcome.ran, []);
  });
});

describe("runRestoreActions", () => {
  const restoreRun = (item: KubeObject) => ({
    item,
    itemFromBackup: structuredClone(item),
    restore: restoreInfo(),
    log: recordingLog().log,
    cluster: noCluster,
    signal: new AbortController().signal,
    groupResource: "pods",
  });

  test("skip stops the chain with the reason; additional items of the skipping action are dropped", async () => {
    const actions: RestoreItemAction[] = [
      {
        name: "example.io/a",
        execute: () => ({ additionalItems: [{ resource: "pvc", namespace: "shop", name: "data" }] }),
      },
      {
        name: "example.io/skip",
        execute: () => ({ skip: "managed elsewhere", additionalItems: [{ resource: "pv", name: "x" }] }),
      },
      { name: "example.io/never", execute: () => assert.fail("must not run") },
    ];
    const outcome = await runRestoreActions(actions, restoreRun(pod()));
    assert.deepEqual(outcome.skip, { action: "example.io/skip", reason: "managed elsewhere" });
    assert.deepEqual(outcome.additionalItems, [
      { resource: "pvc", namespace: "shop", name: "data", action: "example.io/a" },
    ]);
    const plain = await runRestoreActions(
      [{ name: "example.io/skip", execute: () => ({ skip: true }) }],
      restoreRun(pod()),
    );
    assert.deepEqual(plain.skip, { action: "example.io/skip", reason: "skipped by example.io/skip" });
  });

  test("every action sees the pristine item from the backup", async () => {
    const seen: unknown[] = [];
    const outcome = await runRestoreActions(
      [
        {
          name: "example.io/vandal",
          execute: ({ itemFromBackup }) => {
            seen.push(itemFromBackup.metadata?.name);
            itemFromBackup.metadata!.name = "vandalised";
          },
        },
        {
          name: "example.io/reader",
          execute: ({ itemFromBackup }) => {
            seen.push(itemFromBackup.metadata?.name);
          },
        },
      ],
      restoreRun(pod()),
    );
    assert.deepEqual(outcome.errors, []);
    assert.deepEqual(seen, ["web", "web"]);
  });

  test("a label selector is re-checked on the current labels before each action, as Velero's restore does", async () => {
    const ran: string[] = [];
    const actions: RestoreItemAction[] = [
      {
        name: "example.io/unlabel",
        execute: ({ item }) => {
          ran.push("unlabel");
          delete item.metadata!.labels!["app"];
          return { item };
        },
      },
      {
        name: "example.io/web-only",
        appliesTo: { labelSelector: "app=web" },
        execute: () => {
          ran.push("web-only");
        },
      },
    ];
    const set = resolveActions(actions, fakeDiscovery());
    const applicable = set.forItem({ groupResource: "pods", namespace: "shop", labels: { app: "web" } });
    assert.equal(applicable.length, 2);
    const outcome = await runRestoreActions(applicable, restoreRun(pod()));
    assert.deepEqual(ran, ["unlabel"]);
    assert.deepEqual(outcome.ran, ["example.io/unlabel"]);
  });

  test("errors name the restore item and stop the chain", async () => {
    const item = pod();
    const outcome = await runRestoreActions(
      [
        {
          name: "example.io/boom",
          execute: () => {
            throw new TypeError("cannot read x");
          },
        },
      ],
      restoreRun(item),
    );
    assert.equal(outcome.errors[0]!.message, "pods shop/web: action example.io/boom failed: cannot read x");
    assert.equal(outcome.item, item);
  });

  test("skip must be a boolean or a string", async () => {
    const outcome = await runRestoreActions(
      [{ name: "example.io/odd", execute: () => ({ skip: 1 as never }) }],
      restoreRun(pod()),
    );
    assert.match(outcome.errors[0]!.message, /skip must be a boolean or a reason string/);
  });
});
