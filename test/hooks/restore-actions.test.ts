import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createBuiltinRestoreActions } from "../../hooks/index.ts";
import { addPvcFromPodRestoreAction } from "../../hooks/restore/add-pvc-from-pod.ts";
import { admissionWebhookRestoreAction } from "../../hooks/restore/admission-webhook.ts";
import { changeImageNameRestoreAction } from "../../hooks/restore/change-image-name.ts";
import { changeStorageClassRestoreAction } from "../../hooks/restore/change-storage-class.ts";
import { crdPreserveFieldsRestoreAction } from "../../hooks/restore/crd-preserve-fields.ts";
import { jobRestoreAction } from "../../hooks/restore/job.ts";
import { podRestoreAction } from "../../hooks/restore/pod.ts";
import { pvcRestoreAction } from "../../hooks/restore/pvc.ts";
import {
  clusterRoleBindingRestoreAction,
  roleBindingRestoreAction,
} from "../../hooks/restore/role-bindings.ts";
import { serviceRestoreAction } from "../../hooks/restore/service.ts";
import { serviceAccountRestoreAction } from "../../hooks/restore/service-account.ts";
import { resolveActions } from "../../lib/actions/registry.ts";
import { runRestoreActions } from "../../lib/actions/run.ts";
import type {
  Cluster,
  KubeObject,
  RestoreInfo,
  RestoreItemAction,
  RestoreItemActionInput,
  RestoreItemActionOutput,
} from "../../lib/index.ts";
import {
  fakeDiscovery,
  field,
  noCluster,
  recordingLog,
  restoreInfo,
  restoreInput,
} from "../actions/support.ts";

const exec = async (
  action: RestoreItemAction,
  item: KubeObject,
  overrides: Partial<Omit<RestoreItemActionInput, "item">> = {},
) => (await action.execute(restoreInput(item, overrides))) as RestoreItemActionOutput | undefined;

const noConfig = async () => undefined;

describe("velero.io/pod (restore)", () => {
  test("clears nodeName and priority, drops <sa>-token-* volumes and mounts, restores the PriorityClass first", async () => {
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "builder-0", namespace: "ci" },
      spec: {
        nodeName: "node-7",
        priority: 1000,
        priorityClassName: "high",
        serviceAccountName: "builder",
        initContainers: [
          {
            name: "init",
            image: "busybox",
            volumeMounts: [{ name: "builder-token-x7k2p", mountPath: "/var/run/secrets" }],
          },
        ],
        containers: [
          {
            name: "build",
            image: "golang:1.24",
            volumeMounts: [
              { name: "work", mountPath: "/work" },
              { name: "builder-token-x7k2p", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" },
            ],
          },
        ],
        volumes: [
          { name: "work", persistentVolumeClaim: { claimName: "work" } },
          { name: "builder-token-x7k2p", secret: { secretName: "builder-token-x7k2p" } },
          { name: "default-token-abcde", secret: { secretName: "default-token-abcde" } },
        ],
      },
    };
    const out = await exec(podRestoreAction(), pod);
    assert.deepEqual(out?.additionalItems, [{ resource: "priorityclasses.scheduling.k8s.io", name: "high" }]);
    assert.deepEqual(out?.item?.["spec"], {
      priorityClassName: "high",
      serviceAccountName: "builder",
      initContainers: [{ name: "init", image: "busybox" }],
      containers: [
        { name: "build", image: "golang:1.24", volumeMounts: [{ name: "work", mountPath: "/work" }] },
      ],
      volumes: [
        { name: "work", persistentVolumeClaim: { claimName: "work" } },
        { name: "default-token-abcde", secret: { secretName: "default-token-abcde" } },
      ],
    });
  });
});

describe("velero.io/add-pvc-from-pod", () => {
  test("restores each claim first, named by the pod's namespace in the backup", async () => {
    const pod: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "db-0", namespace: "shop-restored" },
      spec: {
        volumes: [
          { name: "data", persistentVolumeClaim: { claimName: "data-db-0" } },
          { name: "tmp", emptyDir: {} },
        ],
      },
    };
    const fromBackup = structuredClone(pod);
    fromBackup.metadata!.namespace = "shop";
    const out = await exec(addPvcFromPodRestoreAction(), pod, { itemFromBackup: fromBackup });
    assert.deepEqual(out, {
      additionalItems: [{ resource: "persistentvolumeclaims", namespace: "shop", name: "data-db-0" }],
    });
  });
});

describe("velero.io/service", () => {
  const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  const service = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): KubeObject => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", ...metadata },
    spec,
  });
  const ports = (out: RestoreItemActionOutput | undefined) =>
    (field<Record<string, unknown>>(out, "spec")["ports"] as Array<Record<string, unknown>>).map(
      (p) => p["nodePort"],
    );
  const nodePortSpec = () => ({
    type: "NodePort",
    clusterIP: "10.96.12.7",
    clusterIPs: ["10.96.12.7"],
    ports: [
      { name: "http", port: 80, protocol: "TCP", targetPort: 8080, nodePort: 30080 },
      { name: "https", port: 443, protocol: "TCP", targetPort: 8443, nodePort: 30443 },
    ],
  });

  test("clears clusterIP and clusterIPs, but not of a headless Service", async () => {
    const out = await exec(
      serviceRestoreAction(),
      service({
        type: "ClusterIP",
        clusterIP: "10.96.0.10",
        clusterIPs: ["10.96.0.10"],
        ports: [{ port: 80 }],
      }),
    );
    assert.deepEqual(out?.item?.["spec"], { type: "ClusterIP", ports: [{ port: 80 }] });
    const headless = await exec(
      serviceRestoreAction(),
      service({ clusterIP: "None", clusterIPs: ["None"], ports: [{ port: 80 }] }),
    );
    assert.deepEqual(headless?.item?.["spec"], {
      clusterIP: "None",
      clusterIPs: ["None"],
      ports: [{ port: 80 }],
    });
  });

  test("keeps only the nodePorts last-applied-configuration names explicitly (named ports)", async () => {
    const applied = {
      apiVersion: "v1",
      kind: "Service",
      spec: {
        type: "NodePort",
        ports: [
          { name: "http", port: 80, nodePort: 30080 },
          { name: "https", port: 443 },
        ],
      },
    };
    const out = await exec(
      serviceRestoreAction(),
      service(nodePortSpec(), { annotations: { [LAST_APPLIED]: JSON.stringify(applied) } }),
    );
    assert.deepEqual(ports(out), [30080, undefined]);
    assert.ok(!("nodePort" in (field<{ ports: object[] }>(out, "spec").ports[1] ?? {})));
  });

  test("matches unnamed ports by nodePort value, numbers given as strings included", async () => {
    const spec = { type: "NodePort", ports: [{ port: 80, protocol: "TCP", nodePort: 30080 }] };
    const same = { spec: { ports: [{ port: 80, nodePort: "30080" }] } };
    assert.deepEqual(
      ports(
        await exec(
          serviceRestoreAction(),
          service(structuredClone(spec), { annotations: { [LAST_APPLIED]: JSON.stringify(same) } }),
        ),
      ),
      [30080],
    );
    const other = { spec: { ports: [{ port: 80, nodePort: 30081 }] } };
    assert.deepEqual(
      ports(
        await exec(
          serviceRestoreAction(),
          service(structuredClone(spec), { annotations: { [LAST_APPLIED]: JSON.stringify(other) } }),
        ),
      ),
      [undefined],
    );
  });

  test("without last-applied-configuration, server-side apply managedFields decide", async () => {
    const managedFields = [
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "v1",
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:spec": {
            "f:ports": { 'k:{"port":443,"protocol":"TCP"}': { ".": {}, "f:nodePort": {}, "f:port": {} } },
          },
        },
      },
      { manager: "kube-controller-manager", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1" },
    ];
    const out = await exec(serviceRestoreAction(), service(nodePortSpec(), { managedFields }));
    assert.deepEqual(ports(out), [undefined, 30443]);
  });

  test("with neither, every nodePort is auto-assigned and removed", async () => {
    assert.deepEqual(ports(await exec(serviceRestoreAction(), service(nodePortSpec()))), [
      undefined,
      undefined,
    ]);
  });

  test("preserveNodePorts keeps every nodePort (clusterIP still goes)", async () => {
    const out = await exec(serviceRestoreAction(), service(nodePortSpec()), {
      restore: restoreInfo({ spec: { preserveNodePorts: true } }),
    });
    assert.deepEqual(ports(out), [30080, 30443]);
    assert.equal(field<Record<string, unknown>>(out, "spec")["clusterIP"], undefined);
  });

  test("ExternalName Services keep their ports", async () => {
    const out = await exec(
      serviceRestoreAction(),
      service({
        type: "ExternalName",
        externalName: "db.example.com",
        ports: [{ port: 5432, nodePort: 31000 }],
      }),
    );
    assert.deepEqual(ports(out), [31000]);
  });

  test("healthCheckNodePort of a Local LoadBalancer goes unless explicit", async () => {
    const lb = () => ({
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
      healthCheckNodePort: 32000,
      ports: [{ name: "http", port: 80, nodePort: 30080 }],
    });
    const hc = (out: RestoreItemActionOutput | undefined) =>
      field<Record<string, unknown>>(out, "spec")["healthCheckNodePort"];
    assert.equal(hc(await exec(serviceRestoreAction(), service(lb()))), undefined);
    const applied = JSON.stringify({
      spec: { healthCheckNodePort: 32000, ports: [{ name: "http", port: 80 }] },
    });
    const explicit = await exec(
      serviceRestoreAction(),
      service(lb(), { annotations: { [LAST_APPLIED]: applied } }),
    );
    assert.equal(hc(explicit), 32000);
    assert.deepEqual(ports(explicit), [undefined]);
    const ssa = [
      {
        manager: "kubectl",
        operation: "Apply",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:spec": { "f:healthCheckNodePort": {} } },
      },
    ];
    assert.equal(hc(await exec(serviceRestoreAction(), service(lb(), { managedFields: ssa }))), 32000);
    const cluster = { ...lb(), externalTrafficPolicy: "Cluster" };
    assert.equal(hc(await exec(serviceRestoreAction(), service(cluster))), 32000);
  });

  test("an unparseable last-applied-configuration is an error that says what to do", async () => {
    await assert.rejects(
      exec(serviceRestoreAction(), service(nodePortSpec(), { annotations: { [LAST_APPLIED]: "{not json" } })),
      /last-applied-configuration is not valid JSON .*fix or remove it/,
    );
  });
});

describe("velero.io/job", () => {
  test("removes controller-uid labels from the selector and the pod template", async () => {
    const job: KubeObject = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "migrate",
        namespace: "shop",
        labels: { "batch.kubernetes.io/controller-uid": "u1", app: "migrate" },
      },
      spec: {
        selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u1", "controller-uid": "u1" } },
        template: {
          metadata: {
            labels: {
              "batch.kubernetes.io/controller-uid": "u1",
              "controller-uid": "u1",
              "job-name": "migrate",
              app: "migrate",
            },
          },
          spec: { restartPolicy: "Never", containers: [{ name: "m", image: "migrate:1" }] },
        },
      },
    };
    const out = await exec(jobRestoreAction(), job);
    const spec = field<Record<string, Record<string, unknown>>>(out, "spec");
    assert.deepEqual(spec["selector"], {});
    assert.deepEqual((spec["template"]!["metadata"] as Record<string, unknown>)["labels"], {
      "job-name": "migrate",
      app: "migrate",
    });
    // metadata.labels are not Velero's business here
    assert.equal(out?.item?.metadata?.labels?.["batch.kubernetes.io/controller-uid"], "u1");
  });
});

describe("velero.io/service-account (restore)", () => {
  const sa = (secrets: string[]): KubeObject => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "builder", namespace: "ci" },
    secrets: secrets.map((name) => ({ name })),
  });
  const names = (out: RestoreItemActionOutput | undefined) =>
    out?.item?.["secrets"] === undefined
      ? undefined
      : (out.item["secrets"] as Array<{ name: string }>).map((s) => s.name);
  for (const [before, after] of [
    [["builder-token-x7k2p", "registry"], ["registry"]],
    [["builder-token-x7k2p"], undefined],
    [
      ["builder-token-a", "registry", "builder-token-b"],
      ["builder-token-a", "registry"],
    ],
    [
      ["default-token-a", "registry"],
      ["default-token-a", "registry"],
    ],
  ] as const) {
    test(`${JSON.stringify(before)} → ${JSON.stringify(after)}`, async () => {
      assert.deepEqual(names(await exec(serviceAccountRestoreAction(), sa([...before]))), after);
    });
  }
});

describe("velero.io/pvc (restore)", () => {
  const claim = (phase: string): KubeObject => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: "data",
      namespace: "shop",
      annotations: {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
        "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
        "volume.kubernetes.io/selected-node": "node-3",
        "velero.io/volume-snapshot-name": "snap",
        "velero.io/data-upload-name": "du",
        "example.com/owner": "team-a",
      },
    },
    spec: { volumeName: "pvc-1234", storageClassName: "gp3", resources: { requests: { storage: "1Gi" } } },
    status: { phase },
  });

  test("drops binding and provisioning annotations; a claim Bound in the backup restores its PV first", async () => {
    const item = claim("Bound");
    delete item["status"];
    const out = await exec(pvcRestoreAction(), item, { itemFromBackup: claim("Bound") });
    assert.deepEqual(out?.item?.metadata?.annotations, { "example.com/owner": "team-a" });
    assert.deepEqual(out?.additionalItems, [{ resource: "persistentvolumes", name: "pvc-1234" }]);
    assert.equal(field<Record<string, unknown>>(out, "spec")["volumeName"], "pvc-1234");
  });

  test("a claim that was Pending in the backup brings no PV", async () => {
    const out = await exec(pvcRestoreAction(), claim("Pending"), { itemFromBackup: claim("Pending") });
    assert.equal(out?.additionalItems, undefined);
  });
});

describe("velero.io/role-bindings and velero.io/cluster-role-bindings", () => {
  const binding = (kind: string): KubeObject => ({
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata:
      kind === "RoleBinding" ? { name: "deployer", namespace: "shop-restored" } : { name: "deployer" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "edit" },
    subjects: [
      { kind: "ServiceAccount", name: "deployer", namespace: "shop" },
      { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" },
      { kind: "ServiceAccount", name: "ci", namespace: "ci" },
    ],
  });
  for (const [action, kind] of [
    [roleBindingRestoreAction(), "RoleBinding"],
    [clusterRoleBindingRestoreAction(), "ClusterRoleBinding"],
  ] as const) {
    test(`${action.name} maps subject namespaces`, async () => {
      const restore: RestoreInfo = restoreInfo({ namespaceMapping: { shop: "shop-restored" } });
      const out = await exec(action, binding(kind), { restore });
      assert.deepEqual(out?.item?.["subjects"], [
        { kind: "ServiceAccount", name: "deployer", namespace: "shop-restored" },
        { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "alice" },
        { kind: "ServiceAccount", name: "ci", namespace: "ci" },
      ]);
      assert.equal(await exec(action, binding(kind)), undefined, "no mapping, no change");
    });
  }
});

describe("velero.io/crd-preserve-fields", () => {
  const crd = (apiVersion: string): KubeObject => ({
    apiVersion,
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      preserveUnknownFields: true,
      names: { plural: "widgets", kind: "Widget" },
      scope: "Namespaced",
      versions: [
        { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
        { name: "v1alpha1", served: false, storage: false },
      ],
    },
  });

  test("moves preserveUnknownFields into each version's schema", async () => {
    const out = await exec(crdPreserveFieldsRestoreAction(), crd("apiextensions.k8s.io/v1"));
    const spec = field<Record<string, unknown>>(out, "spec");
    assert.equal(spec["preserveUnknownFields"], undefined);
    assert.deepEqual(spec["versions"], [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
      { name: "v1alpha1", served: false, storage: false },
    ]);
  });

  test("leaves v1beta1 CRDs and CRDs without the flag alone", async () => {
    assert.equal(
      await exec(crdPreserveFieldsRestoreAction(), crd("apiextensions.k8s.io/v1beta1")),
      undefined,
    );
    const plain = crd("apiextensions.k8s.io/v1");
    (plain["spec"] as Record<string, unknown>)["preserveUnknownFields"] = false;
    assert.equal(await exec(crdPreserveFieldsRestoreAction(), plain), undefined);
  });
});

describe("velero.io/admission-webhook-configuration", () => {
  test("resets sideEffects v1 rejects to None", async () => {
    const config: KubeObject = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "policy" },
      webhooks: [
        { name: "a.example.com", sideEffects: "Unknown" },
        { name: "b.example.com", sideEffects: "Some" },
        { name: "c.example.com", sideEffects: "NoneOnDryRun" },
        { name: "d.example.com" },
      ],
    };
    const out = await exec(admissionWebhookRestoreAction(), config);
    assert.deepEqual(
      field<Array<Record<string, unknown>>>(out, "webhooks").map((w) => w["sideEffects"]),
      ["None", "None", "NoneOnDryRun", "None"],
    );
    assert.equal(
      await exec(admissionWebhookRestoreAction(), {
        ...config,
        apiVersion: "admissionregistration.k8s.io/v1beta1",
      }),
      undefined,
    );
  });
});

describe("velero.io/apiservice", () => {
  test("skips APIServices the apiserver manages, through the registry's label selector", async () => {
    const set = resolveActions(createBuiltinRestoreActions(), fakeDiscovery());
    const apiService = (labels: Record<string, string>): KubeObject => ({
      apiVersion: "apiregistration.k8s.io/v1",
      kind: "APIService",
      metadata: { name: "v1.apps", labels },
      spec: { group: "apps", version: "v1" },
    });
    const managed = apiService({ "kube-aggregator.kubernetes.io/automanaged": "onstart" });
    const actions = set.forItem({
      groupResource: "apiservices.apiregistration.k8s.io",
      labels: managed.metadata?.labels,
    });
    const outcome = await runRestoreActions(actions, {
      ...restoreInput(managed),
      groupResource: "apiservices.apiregistration.k8s.io",
    });
    assert.deepEqual(outcome.skip, {
      action: "velero.io/apiservice",
      reason: "APIService is managed by Kubernetes",
    });
    assert.deepEqual(set.forItem({ groupResource: "apiservices.apiregistration.k8s.io", labels: {} }), []);
  });
});

describe("velero.io/change-image-name (mapping given in code)", () => {
  const action = changeImageNameRestoreAction({
    readConfig: noConfig,
    mapping: { "registry.old.example.com": "registry.new.example.com" },
  });
  const containers = (images: string[]) => images.map((image, i) => ({ name: `c${i}`, image }));

  test("rewrites (init) containers of pods, workload templates and CronJobs; other images stay", async () => {
    const podSpec = () => ({
      initContainers: containers(["registry.old.example.com/init:1"]),
      containers: containers(["registry.old.example.com/app:2", "docker.io/library/nginx:1.27"]),
    });
    const images = (spec: unknown) => {
      const s = spec as { initContainers: Array<{ image: string }>; containers: Array<{ image: string }> };
      return [...s.initContainers, ...s.containers].map((c) => c.image);
    };
    const expected = [
      "registry.new.example.com/init:1",
      "registry.new.example.com/app:2",
      "docker.io/library/nginx:1.27",
    ];
    const pod = await exec(action, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", namespace: "shop" },
      spec: podSpec(),
    });
    assert.deepEqual(images(pod?.item?.["spec"]), expected);
    const deployment = await exec(action, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d", namespace: "shop" },
      spec: { template: { spec: podSpec() } },
    });
    assert.deepEqual(
      images(field<{ template: { spec: unknown } }>(deployment, "spec").template.spec),
      expected,
    );
    const cronJob = await exec(action, {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "c", namespace: "shop" },
      spec: { jobTemplate: { spec: { template: { spec: podSpec() } } } },
    });
    const cj = field<{ jobTemplate: { spec: { template: { spec: unknown } } } }>(cronJob, "spec");
    assert.deepEqual(images(cj.jobTemplate.spec.template.spec), expected);
  });

  test("without a mapping or ConfigMap it does nothing", async () => {
    const idle = changeImageNameRestoreAction({ readConfig: noConfig });
    assert.equal(
      await exec(idle, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p" },
        spec: { containers: containers(["a"]) },
      }),
      undefined,
    );
  });
});

describe("velero.io/change-storage-class (mapping given in code)", () => {
  const classes = new Set(["gp3"]);
  const gets: string[] = [];
  const fakeCluster = {
    get: async (resource: string, name: string) => {
      gets.push(`${resource}/${name}`);
      if (!classes.has(name)) throw new Error(`storageclasses.storage.k8s.io "${name}" not found`);
      return { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name } };
    },
  } as unknown as Cluster;
  const action = changeStorageClassRestoreAction({
    readConfig: noConfig,
    mapping: { gp2: "gp3", standard: "missing" },
  });
  const restore = restoreInfo();

  test("rewrites claims, volumes and StatefulSet claim templates, checking the new class once per restore", async () => {
    const pvc = await exec(
      action,
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "a", namespace: "shop" },
        spec: { storageClassName: "gp2" },
      },
      { cluster: fakeCluster, restore },
    );
    assert.equal(field<Record<string, unknown>>(pvc, "spec")["storageClassName"], "gp3");
    const pv = await exec(
      action,
      {
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: "pv-1" },
        spec: { storageClassName: "gp2" },
      },
      { cluster: fakeCluster, restore },
    );
    assert.equal(field<Record<string, unknown>>(pv, "spec")["storageClassName"], "gp3");
    const sts = await exec(
      action,
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "db", namespace: "shop" },
        spec: {
          volumeClaimTemplates: [
            { metadata: { name: "data" }, spec: { storageClassName: "gp2" } },
            { metadata: { name: "logs" }, spec: { storageClassName: "fast" } },
            { metadata: { name: "tmp" }, spec: {} },
          ],
        },
      },
      { cluster: fakeCluster, restore },
    );
    assert.deepEqual(
      field<{ volumeClaimTemplates: Array<{ spec: Record<string, unknown> }> }>(
        sts,
        "spec",
      ).volumeClaimTemplates.map((t) => t.spec["storageClassName"]),
      ["gp3", "fast", undefined],
    );
    assert.deepEqual(gets, ["storageclasses.storage.k8s.io/gp3"]);
  });

  test("a class that does not exist fails the item and says what to do", async () => {
    await assert.rejects(
      exec(
        action,
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: "b", namespace: "shop" },
          spec: { storageClassName: "standard" },
        },
        { cluster: fakeCluster, restore },
      ),
      /error getting storage class missing from API: .*not found; create it, or fix the velero.io\/change-storage-class mapping/,
    );
  });

  test("claims without a class or without a mapping for it are left alone", async () => {
    const untouched = {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "c", namespace: "shop" },
      spec: { storageClassName: "other" },
    };
    const out = await exec(action, untouched, { cluster: noCluster, restore, log: recordingLog().log });
    assert.equal(field<Record<string, unknown>>(out, "spec")["storageClassName"], "other");
  });
});
