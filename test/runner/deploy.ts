/**
 * runner/deploy as `kubectl apply -k` would see it, for tests: the objects of a kustomization's
 * `resources` (files, and directories with their own kustomization, recursively), moved into a test
 * namespace the way kustomize's `namespace:` and `nameSuffix:` fields would, applied to the test
 * cluster, and SubjectAccessReviews — what `kubectl auth can-i --as=…` sends — against the real
 * RBAC authorizer.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import type { Cluster, KubeObject } from "../../lib/index.ts";
import { repoRoot } from "../support/binaries.ts";
import { onCleanup } from "../support/cleanup.ts";

export const DEPLOY = join(repoRoot, "runner", "deploy");
/** The opt-in overlay that adds the restore role. */
export const RESTORE_OVERLAY = join(DEPLOY, "restore");
/** The opt-in overlay that lets the runner exec backup hooks. */
export const HOOKS_OVERLAY = join(DEPLOY, "hooks");

/**
 * The objects of the kustomization in `dir`, in `resources` order. Only `resources` is supported: a
 * kustomization using anything else (patches, generators, transformers) fails here rather than being
 * applied differently from kustomize.
 */
export const kustomize = (dir: string): KubeObject[] => {
  const kustomization = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Record<
    string,
    unknown
  >;
  const unsupported = Object.keys(kustomization).filter(
    (k) => !["apiVersion", "kind", "resources"].includes(k),
  );
  assert.deepEqual(unsupported, [], `${dir}/kustomization.yaml uses fields this test does not apply`);
  return ((kustomization.resources ?? []) as string[]).flatMap((entry) => {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) return kustomize(path);
    return parseAllDocuments(readFileSync(path, "utf8")).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
      return doc.toJS() as KubeObject;
    });
  });
};

const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding"]);

/**
 * The objects moved from namespace `stowage` to `namespace`, cluster-scoped names suffixed with
 * `suffix` (references in roleRefs and subjects follow), as kustomize's `namespace`/`nameSuffix` do.
 */
export const relocate = (objects: readonly KubeObject[], namespace: string, suffix: string): KubeObject[] =>
  objects.map((source) => {
    const object = structuredClone(source) as KubeObject & {
      roleRef?: { kind: string; name: string };
      subjects?: Array<{ kind: string; namespace?: string }>;
    };
    const metadata = object.metadata ?? {};
    if (object.kind === "Namespace") metadata.name = namespace;
    else if (CLUSTER_SCOPED.has(object.kind ?? "")) metadata.name = `${metadata.name}${suffix}`;
    else {
      assert.equal(
        metadata.namespace,
        "stowage",
        `${object.kind} ${metadata.name} is not in namespace stowage`,
      );
      metadata.namespace = namespace;
    }
    if (object.roleRef?.kind === "ClusterRole") object.roleRef.name = `${object.roleRef.name}${suffix}`;
    for (const subject of object.subjects ?? []) {
      if (subject.kind === "ServiceAccount") subject.namespace = namespace;
    }
    return object;
  });

/** Creates `objects` in order (deleted after the file: cluster-scoped ones and the namespace). */
export const applyObjects = async (admin: Cluster, objects: readonly KubeObject[]): Promise<void> => {
  const discovery = await admin.discovery();
  for (const object of objects) {
    const resource = discovery.forKind(object.apiVersion ?? "", object.kind ?? "");
    assert.ok(resource, `no resource serves ${object.apiVersion} ${object.kind}`);
    await admin.create(resource, object, { namespace: object.metadata?.namespace });
    if (CLUSTER_SCOPED.has(object.kind ?? "")) {
      const name = object.metadata?.name ?? "";
      onCleanup(() => admin.delete(resource, name).catch(() => undefined));
    }
  }
};

/** What a SubjectAccessReview asks: a verb on a resource (in a namespace, or cluster-wide). */
export interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly group?: string;
  readonly namespace?: string;
  readonly subresource?: string;
}

/**
 * Whether `user` may do `access`, decided by the apiserver's authorizer: the SubjectAccessReview that
 * `kubectl auth can-i VERB RESOURCE --as=USER` sends.
 */
export const canI = async (admin: Cluster, user: string, access: Access): Promise<boolean> => {
  const response = await admin.request({
    method: "POST",
    path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user,
        groups: [
          "system:serviceaccounts",
          `system:serviceaccounts:${user.split(":")[2]}`,
          "system:authenticated",
        ],
        resourceAttributes: {
          verb: access.verb,
          resource: access.resource,
          group: access.group ?? "",
          ...(access.namespace ? { namespace: access.namespace } : {}),
          ...(access.subresource ? { subresource: access.subresource } : {}),
        },
      },
    },
  });
  return (JSON.parse(response.body.toString()) as { status: { allowed?: boolean } }).status.allowed === true;
};
