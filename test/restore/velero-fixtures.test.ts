import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  type ApiResource,
  type Cluster,
  type KubeObject,
  type PlanEntry,
  type RestoreResult,
  restore,
} from "../../lib/index.ts";
import { FIXTURES } from "../format/support.ts";
import { onCleanup } from "../support/cleanup.ts";
import { connectTest, uniqueSuffix } from "../support/kube.ts";
import { copyOfFixtures, type FixtureItem, fixtureItems } from "../support/velero-backups.ts";

const NS_BACKUP = "shop-ns-20261122031500";
const NIGHTLY = "shop-nightly-20261122030000";
/** velero-format.md §5.2: never restored, whatever the filters say. */
const NEVER_RESTORED = [
  "nodes",
  "events",
  "events.events.k8s.io",
  "backups.velero.io",
  "restores.velero.io",
  "resticrepositories.velero.io",
  "csinodes.storage.k8s.io",
  "volumeattachments.storage.k8s.io",
  "backuprepositories.velero.io",
];
const VELERO_LABELS = ["velero.io/backup-name", "velero.io/restore-name"];

const itemsOf = async (backup: string): Promise<FixtureItem[]> =>
  fixtureItems(readFileSync(join(FIXTURES, backup, `${backup}.tar.gz`)));

const show = (entries: readonly PlanEntry[]): string =>
  entries
    .map((e) => `${e.action} ${e.resource} ${e.namespace ?? ""}/${e.name}: ${e.reason ?? ""}`)
    .join("\n");

/** The plan entry of a backed-up item (namespaces are planned under their target name). */
const entryOf = (
  result: RestoreResult,
  item: FixtureItem,
  mapping: Readonly<Record<string, string>> = {},
): PlanEntry[] => {
  const target = (ns: string) => mapping[ns] ?? ns;
  return result.plan.filter((e) =>
    item.groupResource === "namespaces"
      ? e.resource === "namespaces" && e.name === target(item.name)
      : e.resource === item.groupResource &&
        e.name === item.name &&
        (e.namespace ?? "") === (item.namespace === undefined ? "" : target(item.namespace)),
  );
};

/** What must survive a restore: everything but metadata and status, plus labels and annotations. */
const essence = (o: KubeObject): Record<string, unknown> => {
  const labels = { ...o.metadata?.labels };
  for (const key of VELERO_LABELS) delete labels[key];
  const { metadata: _m, status: _s, ...rest } = structuredClone(o);
  return { labels, annotations: { ...o.metadata?.annotations }, ...rest };
};

/** Whether `item` is in the cluster now; a namespace being deleted (left by an earlier test) is neither. */
const liveState = async (
  cluster: Cluster,
  resource: ApiResource,
  item: FixtureItem,
): Promise<"live" | "absent" | "terminating"> => {
  const live = await cluster.tryGet(
    resource,
    item.name,
    item.namespace === undefined ? {} : { namespace: item.namespace },
  );
  if (!live) return "absent";
  return (live.status as { phase?: string } | undefined)?.phase === "Terminating" ? "terminating" : "live";
};

describe("restore(): the backups a real Velero 1.18.3 wrote", () => {
  const fixtures = copyOfFixtures();

  test("shop-ns into a mapped namespace: Completed, every object back with the backed-up spec", async () => {
    const cluster = await connectTest();
    const target = `shop-r-${uniqueSuffix()}`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const items = await itemsOf(NS_BACKUP);
    assert.equal(items.length, 28);

    const result = await restore({
      cluster,
      store: fixtures.store,
      backupName: NS_BACKUP,
      namespaceMapping: { shop: target },
    });
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.equal(result.counts.errors, 0);
    assert.deepEqual(result.errors, {});
    assert.equal(result.counts.totalItems, 28);
    // The one warning allowed: the controller-manager's root-ca-cert-publisher puts its own
    // kube-root-ca.crt (this cluster's CA) into every new namespace, so the backed-up one (the source
    // cluster's CA) differs and Velero warns "already exists … different" — unless the restore got
    // there first. Anything else is a regression.
    const { namespaces: warned = {}, ...otherWarnings } = result.warnings;
    assert.deepEqual(otherWarnings, {}, "no velero or cluster warnings");
    for (const [ns, messages] of Object.entries(warned)) {
      assert.equal(ns, target);
      for (const m of messages)
        assert.match(m, /name: \/kube-root-ca\.crt message: \/could not restore, ConfigMap/);
    }

    // one plan entry per backed-up item, each handled as Velero does
    assert.equal(result.plan.length, items.length, show(result.plan));
    for (const item of items) {
      const entries = entryOf(result, item, { shop: target });
      const what = `${item.groupResource} ${item.namespace ?? ""}/${item.name}`;
      assert.equal(entries.length, 1, `one plan entry for ${what}`);
      const entry = entries[0]!;
      if (item.groupResource !== "namespaces") assert.equal(entry.sourceNamespace, "shop", what);
      const phase = (item.object.status as { phase?: string } | undefined)?.phase;
      const completionTime = (item.object.status as { completionTime?: string } | undefined)?.completionTime;
      if (item.groupResource === "events") {
        assert.equal(entry.action, "skip", `${what}: events are never restored`);
        assert.match(entry.reason ?? "", /events/);
      } else if (item.groupResource === "pods" && (phase === "Succeeded" || phase === "Failed")) {
        assert.equal(entry.action, "skip", `${what}: completed pods are not restored`);
      } else if (item.groupResource === "jobs.batch" && completionTime) {
        assert.equal(entry.action, "skip", `${what}: completed jobs are not restored`);
      } else if (item.groupResource === "configmaps" && item.name === "kube-root-ca.crt") {
        assert.ok(["create", "conflict"].includes(entry.action), `${what}: ${entry.action}`);
      } else if (item.groupResource === "serviceaccounts" && item.name === "default") {
        // the controller-manager makes `default` in every new namespace; the backed-up one is identical
        assert.ok(["create", "skip"].includes(entry.action), `${what}: ${entry.action} ${entry.reason}`);
      } else {
        // pods here are Pending (the source cluster had no nodes), so they are restored too
        assert.equal(entry.action, "create", `${what}: ${entry.reason ?? ""}`);
      }
    }
    const events = items.filter((i) => i.groupResource === "events");
    assert.equal(events.length, 4);
    for (const event of events) {
      assert.equal(
        await cluster.tryGet("events", event.name, { namespace: target }),
        undefined,
        `event ${event.name} was not restored`,
      );
    }

    // the objects are live in the new namespace, with the backed-up spec once Velero's actions applied
    const compared: Array<[string, string]> = [
      ["configmaps", "shop-settings"],
      ["secrets", "shop-db"],
      ["serviceaccounts", "shop-api"],
      ["roles.rbac.authorization.k8s.io", "shop-reader"],
      ["rolebindings.rbac.authorization.k8s.io", "shop-reader"],
      ["statefulsets.apps", "shop-db"],
      ["services", "shop-api"],
      ["services", "shop-db"],
      ["cronjobs.batch", "shop-report"],
      ["networkpolicies.networking.k8s.io", "shop-db-only-api"],
      ["ingresses.networking.k8s.io", "shop"],
      ["poddisruptionbudgets.policy", "shop-db"],
    ];
    for (const [resource, name] of compared) {
      const backedUp = items.find((i) => i.groupResource === resource && i.name === name)?.object;
      assert.ok(backedUp, `${resource} ${name} is in the backup`);
      const live = await cluster.get(resource, name, { namespace: target });
      assert.equal(live.metadata?.namespace, target);
      assert.equal(live.metadata?.labels?.["velero.io/backup-name"], NS_BACKUP);
      assert.equal(live.metadata?.labels?.["velero.io/restore-name"], result.name);
      assert.notEqual(live.metadata?.uid, backedUp.metadata?.uid);
      const actual = essence(live);
      const expected = essence(backedUp);
      if (resource === "rolebindings.rbac.authorization.k8s.io") {
        // velero.io/role-bindings remaps subjects' namespaces
        const subjects = expected.subjects as Array<{ namespace?: string }>;
        for (const s of subjects) if (s.namespace === "shop") s.namespace = target;
      }
      if (resource === "services") {
        const spec = actual.spec as {
          clusterIP?: string;
          ports?: Array<{ nodePort?: number }>;
          type?: string;
        };
        const old = expected.spec as typeof spec;
        if (old.clusterIP === "None") {
          assert.equal(spec.clusterIP, "None", "a headless Service stays headless");
        } else {
          // velero.io/service clears clusterIP(s): the server allocates fresh ones
          assert.ok(spec.clusterIP && spec.clusterIP !== "None", `${name} got a clusterIP`);
          for (const s of [spec, old] as Array<Record<string, unknown>>) {
            delete s.clusterIP;
            delete s.clusterIPs;
          }
        }
        // nodePorts not set explicitly (none here: kubectl apply left them out) are re-allocated
        for (const port of spec.ports ?? []) {
          if (spec.type === "NodePort") assert.ok(Number.isInteger(port.nodePort), `${name} got a nodePort`);
          delete port.nodePort;
        }
        for (const port of old.ports ?? []) delete port.nodePort;
      }
      assert.deepEqual(actual, expected, `${resource} ${name} equals the backed-up object`);
    }
    for (const [resource, name] of [
      ["jobs.batch", "shop-migrate"],
      ["controllerrevisions.apps", "shop-db-6d5868ddb7"],
      ["persistentvolumeclaims", "data-shop-db-0"],
    ] as const) {
      assert.ok(await cluster.tryGet(resource, name, { namespace: target }), `${resource} ${name} restored`);
    }
    const namespace = await cluster.get("namespaces", target);
    const source = items.find((i) => i.groupResource === "namespaces")!.object;
    assert.deepEqual(namespace.metadata?.annotations, source.metadata?.annotations);
    assert.deepEqual(
      namespace.metadata?.labels,
      { ...source.metadata?.labels, "kubernetes.io/metadata.name": target },
      "the namespace is made from the backed-up one, with no restore labels",
    );
  });

  test("a dry run of the whole cluster-wide nightly: a full plan, nothing written", async () => {
    const cluster = await connectTest();
    const discovery = await cluster.discovery({ refresh: true });
    const items = await itemsOf(NIGHTLY);
    assert.equal(items.length, 296);
    const resourceOf = (gr: string) => {
      const r = discovery.forGroupResource(gr);
      assert.ok(r, `${gr} is served`);
      return r;
    };
    // what is live before: cluster-scoped objects, and every item of a namespace that exists
    const liveBefore = new Map<FixtureItem, "live" | "absent" | "terminating">();
    for (const item of items) {
      if (NEVER_RESTORED.includes(item.groupResource)) continue;
      liveBefore.set(item, await liveState(cluster, resourceOf(item.groupResource), item));
    }
    const terminating = new Set(
      [...liveBefore]
        .filter(([i, state]) => i.groupResource === "namespaces" && state === "terminating")
        .map(([i]) => i.name),
    );
    const copy = copyOfFixtures();
    assert.deepEqual(readdirSync(copy.dir), ["backups"]);

    const result = await restore({ cluster, store: copy.store, backupName: NIGHTLY, dryRun: true });
    assert.equal(result.dryRun, true);
    assert.equal(result.counts.errors, 0, show(result.plan.filter((e) => e.action === "fail")));
    assert.equal(result.phase, "Completed");
    assert.equal(result.plan.length, items.length, "every item of the backup is planned");

    for (const item of items) {
      const what = `${item.groupResource} ${item.namespace ?? ""}/${item.name}`;
      const entries = entryOf(result, item);
      assert.equal(entries.length, 1, `one plan entry for ${what}`);
      const entry = entries[0]!;
      if (NEVER_RESTORED.includes(item.groupResource)) {
        assert.equal(entry.action, "skip", `${what} is never restored`);
        assert.ok(entry.reason, `${what}: the skip says why`);
        continue;
      }
      const before = liveBefore.get(item);
      if (before === "terminating" || (item.namespace !== undefined && terminating.has(item.namespace))) {
        // a namespace an earlier test is deleting: the restore waits it out, then plans afresh
        assert.ok(["create", "skip", "conflict"].includes(entry.action), `${what}: ${entry.action}`);
      } else if (before === "live") {
        // already there: identical (skip) or different (conflict); never written
        assert.ok(["skip", "conflict"].includes(entry.action), `${what}: ${entry.action} ${entry.reason}`);
        if (item.groupResource === "namespaces") assert.match(entry.reason ?? "", /exists/, what);
      } else if (item.object.metadata?.labels?.["kube-aggregator.kubernetes.io/automanaged"]) {
        // velero.io/apiservice: the aggregator makes these from the served groups itself
        assert.equal(entry.action, "skip", `${what}: ${entry.reason ?? ""}`);
      } else {
        assert.equal(entry.action, "create", `${what}: ${entry.reason ?? ""}`);
      }
    }
    const skipped = (resource: string) => result.plan.filter((e) => e.resource === resource);
    const events = skipped("events");
    assert.equal(events.length, 4, "the backup's four events are in the plan");
    for (const e of events) {
      assert.equal(e.action, "skip");
      assert.match(e.reason ?? "", /events/);
    }
    // (the source cluster had no nodes, so the backup has none to skip)
    assert.equal(skipped("nodes").length, 0);
    // built-in RBAC and namespaces of the same Kubernetes version are identical
    for (const [resource, name] of [
      ["clusterroles.rbac.authorization.k8s.io", "cluster-admin"],
      ["clusterroles.rbac.authorization.k8s.io", "system:basic-user"],
      ["clusterrolebindings.rbac.authorization.k8s.io", "cluster-admin"],
      ["clusterrolebindings.rbac.authorization.k8s.io", "system:discovery"],
    ]) {
      const entry = result.plan.find((e) => e.resource === resource && e.name === name);
      assert.equal(entry?.action, "skip", `${resource} ${name}`);
      assert.match(entry?.reason ?? "", /identical/);
    }
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
      const entry = result.plan.find((e) => e.resource === "namespaces" && e.name === name);
      assert.equal(entry?.action, "skip", `namespace ${name}`);
    }

    // nothing written: not to the store, not to the cluster
    assert.deepEqual(readdirSync(copy.dir), ["backups"], "no restores/ in the store");
    for (const [item, before] of liveBefore) {
      if (before !== "absent" || item.namespace !== undefined) continue;
      assert.equal(
        await liveState(cluster, resourceOf(item.groupResource), item),
        "absent",
        `${item.groupResource} ${item.name} was not created by the dry run`,
      );
    }
  });

  test("the cluster-wide nightly, only namespace shop, mapped: shop's objects only, nothing cluster-wide", async () => {
    const cluster = await connectTest();
    const target = `shop-n-${uniqueSuffix()}`;
    onCleanup(() => cluster.delete("namespaces", target).catch(() => undefined));
    const items = await itemsOf(NIGHTLY);
    const backedUpNamespaces = items.filter((i) => i.groupResource === "namespaces").map((i) => i.name);
    assert.equal(backedUpNamespaces.length, 87);
    const absentBefore: string[] = [];
    for (const ns of backedUpNamespaces) if (!(await cluster.tryGet("namespaces", ns))) absentBefore.push(ns);
    assert.ok(
      absentBefore.length > 0,
      "some namespaces of the backup do not exist here, so their creation shows",
    );

    let result: RestoreResult;
    try {
      result = await restore({
        cluster,
        store: fixtures.store,
        backupName: NIGHTLY,
        includedNamespaces: ["shop"],
        namespaceMapping: { shop: target },
      });
    } finally {
      // whatever happens, leave no namespace of the backup behind for the next tests
      for (const ns of absentBefore) {
        if (await cluster.tryGet("namespaces", ns))
          await cluster.delete("namespaces", ns).catch(() => undefined);
      }
    }
    assert.equal(result.phase, "Completed", JSON.stringify(result.errors));
    assert.equal(result.counts.errors, 0);

    // only shop's objects (and its mapped namespace) were written
    const written = result.plan.filter((e) => e.action !== "skip");
    const outside = written.filter((e) =>
      e.resource === "namespaces" ? e.name !== target : e.namespace !== target,
    );
    assert.equal(outside.length, 0, `written outside namespace ${target}:\n${show(outside)}`);
    const shopItems = items.filter((i) => i.namespace === "shop");
    for (const entry of result.plan.filter((e) => e.resource === "namespaces" && e.name !== target)) {
      assert.equal(entry.action, "skip", `namespace ${entry.name} is not included`);
      assert.match(entry.reason ?? "", /filtered/, `namespace ${entry.name}`);
    }
    for (const entry of result.plan.filter((e) => e.namespace === undefined && e.resource !== "namespaces")) {
      // includeClusterResources unset and one namespace included: cluster-scoped items only via actions
      // (shop's PVC is Pending, so none comes in)
      assert.equal(entry.action, "skip", `${entry.resource} ${entry.name}`);
      assert.match(entry.reason ?? "", /filtered/);
    }
    for (const item of shopItems) {
      const entries = entryOf(result, item, { shop: target });
      assert.equal(entries.length, 1, `${item.groupResource} ${item.name} planned once`);
      const expected =
        item.groupResource === "events"
          ? ["skip"]
          : item.name === "kube-root-ca.crt"
            ? ["create", "conflict"]
            : item.name === "default"
              ? ["create", "skip"]
              : ["create"];
      assert.ok(
        expected.includes(entries[0]!.action),
        `${item.groupResource} ${item.name}: ${entries[0]!.action}`,
      );
    }
    for (const [resource, name] of [
      ["configmaps", "shop-settings"],
      ["secrets", "shop-db"],
      ["statefulsets.apps", "shop-db"],
      ["services", "shop-api"],
      ["cronjobs.batch", "shop-report"],
      ["ingresses.networking.k8s.io", "shop"],
    ] as const) {
      assert.ok(await cluster.tryGet(resource, name, { namespace: target }), `${resource} ${name} restored`);
    }

    // no other namespace of the backup was created, no cluster-scoped object either
    const created: string[] = [];
    for (const ns of absentBefore) if (await cluster.tryGet("namespaces", ns)) created.push(ns);
    assert.deepEqual(created, [], "namespaces of the backup that are not included must not be created");
    assert.equal(await cluster.tryGet("persistentvolumes", "smoke1-pv"), undefined);
    assert.equal(await cluster.tryGet("customresourcedefinitions", "widgets.bars.example.com"), undefined);
  });
});
