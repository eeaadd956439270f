import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FormatError } from "../../lib/errors.ts";
import {
  FORMAT_VERSION,
  groupResourceDir,
  itemPath,
  itemPaths,
  normalizeEntryPath,
  parseArchivePath,
  parseItemPath,
  preferredVersionItemPath,
  splitGroupResource,
  VERSION_FILE_PATH,
  versionedItemPath,
} from "../../lib/format/paths.ts";

describe("archive paths", () => {
  test("format version and version file", () => {
    assert.equal(FORMAT_VERSION, "1.1.0");
    assert.equal(VERSION_FILE_PATH, "metadata/version");
  });

  test("groupResourceDir: the core group has no suffix, others are resource.group", () => {
    const table: [string, string, string][] = [
      ["pods", "", "pods"],
      ["persistentvolumes", "", "persistentvolumes"],
      ["namespaces", "", "namespaces"],
      ["deployments", "apps", "deployments.apps"],
      ["jobs", "batch", "jobs.batch"],
      ["customresourcedefinitions", "apiextensions.k8s.io", "customresourcedefinitions.apiextensions.k8s.io"],
    ];
    for (const [resource, group, expected] of table) {
      assert.equal(groupResourceDir(resource, group), expected);
      assert.deepEqual(splitGroupResource(expected), { resource, group });
    }
  });

  const cases = [
    {
      location: { resource: "pods", group: "", namespace: "shop", name: "shop-db-0", version: "v1" },
      classic: "resources/pods/namespaces/shop/shop-db-0.json",
      preferred: "resources/pods/v1-preferredversion/namespaces/shop/shop-db-0.json",
      versioned: "resources/pods/v1/namespaces/shop/shop-db-0.json",
    },
    {
      location: { resource: "namespaces", group: "", name: "shop", version: "v1" },
      classic: "resources/namespaces/cluster/shop.json",
      preferred: "resources/namespaces/v1-preferredversion/cluster/shop.json",
      versioned: "resources/namespaces/v1/cluster/shop.json",
    },
    {
      location: { resource: "deployments", group: "apps", namespace: "shop", name: "api", version: "v1" },
      classic: "resources/deployments.apps/namespaces/shop/api.json",
      preferred: "resources/deployments.apps/v1-preferredversion/namespaces/shop/api.json",
      versioned: "resources/deployments.apps/v1/namespaces/shop/api.json",
    },
    {
      location: {
        resource: "customresourcedefinitions",
        group: "apiextensions.k8s.io",
        namespace: "",
        name: "backups.velero.io",
        version: "v1",
      },
      classic: "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/backups.velero.io.json",
      preferred:
        "resources/customresourcedefinitions.apiextensions.k8s.io/v1-preferredversion/cluster/backups.velero.io.json",
      versioned: "resources/customresourcedefinitions.apiextensions.k8s.io/v1/cluster/backups.velero.io.json",
    },
    {
      location: {
        resource: "events",
        group: "",
        namespace: "shop",
        name: "shop-db.18ea4072fd1b94a9",
        version: "v1",
      },
      classic: "resources/events/namespaces/shop/shop-db.18ea4072fd1b94a9.json",
      preferred: "resources/events/v1-preferredversion/namespaces/shop/shop-db.18ea4072fd1b94a9.json",
      versioned: "resources/events/v1/namespaces/shop/shop-db.18ea4072fd1b94a9.json",
    },
    {
      location: {
        resource: "horizontalpodautoscalers",
        group: "autoscaling",
        namespace: "shop",
        name: "web",
        version: "v2beta2",
      },
      classic: "resources/horizontalpodautoscalers.autoscaling/namespaces/shop/web.json",
      preferred:
        "resources/horizontalpodautoscalers.autoscaling/v2beta2-preferredversion/namespaces/shop/web.json",
      versioned: "resources/horizontalpodautoscalers.autoscaling/v2beta2/namespaces/shop/web.json",
    },
  ];

  test("builders: classic, preferred-version and non-preferred paths", () => {
    for (const c of cases) {
      assert.equal(itemPath(c.location), c.classic);
      assert.equal(preferredVersionItemPath(c.location), c.preferred);
      assert.equal(versionedItemPath(c.location), c.versioned);
    }
  });

  test("itemPaths: classic + preferred when the version is preferred, else the version dir only", () => {
    const [c] = cases;
    assert.deepEqual(itemPaths({ ...c!.location, preferredVersion: "v1" }), [c!.classic, c!.preferred]);
    assert.deepEqual(itemPaths({ ...c!.location, version: "v1beta1", preferredVersion: "v1" }), [
      "resources/pods/v1beta1/namespaces/shop/shop-db-0.json",
    ]);
  });

  test("parse round-trips every built path", () => {
    for (const c of cases) {
      const { resource, group, name, version } = c.location;
      const namespace = c.location.namespace || undefined;
      const groupResource = groupResourceDir(resource, group);
      const scope = namespace === undefined ? "cluster" : "namespaced";
      const common = { kind: "item", groupResource, resource, group, scope, name };
      const ns = namespace === undefined ? {} : { namespace };
      assert.deepEqual(parseItemPath(c.classic), { ...common, ...ns, preferred: true });
      assert.deepEqual(parseItemPath(c.preferred), { ...common, ...ns, version, preferred: true });
      assert.deepEqual(parseItemPath(c.versioned), { ...common, ...ns, version, preferred: false });
    }
  });

  test("parse: metadata and strays", () => {
    assert.deepEqual(parseArchivePath("metadata/version"), { kind: "version" });
    assert.deepEqual(parseArchivePath("metadata/other"), { kind: "metadata", path: "metadata/other" });
    const strays = [
      "README.md",
      "resources",
      "resources/pods",
      "resources/pods.json",
      "resources/pods/cluster",
      "resources/pods/cluster/x.yaml",
      "resources/pods/cluster/.json",
      "resources/pods/cluster/a/b.json",
      "resources/pods/namespaces/x.json",
      "resources/pods/namespaces/ns/sub/x.json",
      "resources/pods/v1/x.json",
      "resources/pods/-preferredversion/cluster/x.json",
      "resources/.apps/cluster/x.json",
      "other/resources/pods/cluster/x.json",
    ];
    for (const path of strays) {
      const parsed = parseItemPath(path);
      assert.equal(parsed.kind, "stray", path);
      assert.ok(parsed.kind === "stray" && parsed.reason.length > 0);
    }
    assert.equal(parseItemPath("metadata/version").kind, "stray");
  });

  test("names with dots and names ending in .json are kept whole", () => {
    assert.deepEqual(parseItemPath("resources/configmaps/namespaces/a.b/x.json.json"), {
      kind: "item",
      groupResource: "configmaps",
      resource: "configmaps",
      group: "",
      scope: "namespaced",
      namespace: "a.b",
      name: "x.json",
      preferred: true,
    });
    assert.equal(
      itemPath({ resource: "configmaps", group: "", namespace: "a.b", name: "x.json" }),
      "resources/configmaps/namespaces/a.b/x.json.json",
    );
  });

  test("builders refuse names that are not path segments", () => {
    const bad = [
      { resource: "pods", group: "", name: "" },
      { resource: "pods", group: "", name: ".." },
      { resource: "pods", group: "", name: "a/b" },
      { resource: "pods", group: "", namespace: "..", name: "a" },
      { resource: "pods", group: "", namespace: "a/b", name: "a" },
      { resource: "", group: "", name: "a" },
      { resource: "pods.x", group: "", name: "a" },
      { resource: "pods", group: "a/b", name: "a" },
    ];
    for (const location of bad) {
      assert.throws(() => itemPath(location), FormatError, JSON.stringify(location));
    }
    assert.throws(
      () => versionedItemPath({ resource: "pods", group: "", name: "a", version: "" }),
      /version is invalid/,
    );
  });

  test("normalizeEntryPath accepts ./ prefixes and refuses escapes", () => {
    assert.equal(normalizeEntryPath("./metadata/version"), "metadata/version");
    assert.equal(normalizeEntryPath("resources//pods/./cluster/x.json"), "resources/pods/cluster/x.json");
    assert.equal(normalizeEntryPath("resources/pods/"), "resources/pods");
    for (const raw of [
      "../evil",
      "resources/../../x",
      "/etc/passwd",
      "\\evil",
      "C:/x",
      "a\\..\\b",
      "a\0b",
      "",
      "./",
    ]) {
      assert.throws(() => normalizeEntryPath(raw), FormatError, JSON.stringify(raw));
    }
  });
});
