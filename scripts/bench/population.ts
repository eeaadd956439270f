/**
 * The seeded population: ConfigMaps (configuration text) and Secrets (key material) of 0.5–4 KB,
 * Services, Deployments (0 replicas: no kubelet runs) and custom resources of one CRD, spread evenly over
 * the bench namespaces. Fully deterministic for a given size, so every run seeds the same bytes.
 */
import type { KubeObject } from "stowage";

export const CRD_GROUP = "bench.stowage.io";
export const CRD_NAME = `widgets.${CRD_GROUP}`;

/** The CRD whose CRs are part of the population. */
export const widgetCrd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: CRD_NAME },
  spec: {
    group: CRD_GROUP,
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

/** Share of each kind in the population (sums to 1). */
const MIX = [
  ["configmaps", 0.4],
  ["secrets", 0.3],
  ["services", 0.1],
  ["deployments.apps", 0.1],
  [`widgets.${CRD_GROUP}`, 0.1],
] as const;

/** A resource name (for `cluster.create`) and the object to create. */
export interface Seed {
  readonly resource: string;
  readonly object: KubeObject;
}

/** Small deterministic PRNG (mulberry32). */
const prng = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
/** Key material: as incompressible as the certificates, keys and tokens Secrets hold. */
const keyMaterial = (random: () => number, bytes: number): string => {
  let out = "";
  for (let i = 0; i < bytes; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
};

const WORDS =
  "server listen port timeout retries enabled host path level cache size max min pool workers threads buffer log format json text upstream backend frontend region zone replicas endpoint token secret user name url queue topic batch interval ttl limit rate burst memory cpu storage class mode debug info warn error metrics tracing sample ratio".split(
    " ",
  );
/** Configuration text (`section.key = value` lines): what ConfigMaps hold, about as compressible. */
const configText = (random: () => number, bytes: number): string => {
  const pick = () => WORDS[Math.floor(random() * WORDS.length)] ?? "x";
  let out = "";
  while (out.length < bytes) {
    const value = random() < 0.5 ? String(Math.floor(random() * 100_000)) : `${pick()}-${pick()}`;
    out += `${pick()}.${pick()} = ${value}\n`;
  }
  return out.slice(0, bytes);
};

/** Payload of 0.5–4 KB split over a few keys. */
const payload = (random: () => number, fill: typeof configText): Record<string, string> => {
  const total = 512 + Math.floor(random() * (4096 - 512));
  const keys = 1 + Math.floor(random() * 4);
  const data: Record<string, string> = {};
  for (let k = 0; k < keys; k++) data[`key-${k}.conf`] = fill(random, Math.floor(total / keys));
  return data;
};

const objectFor = (resource: string, name: string, namespace: string, random: () => number): KubeObject => {
  const labels = {
    app: name.replace(/-\d+$/, ""),
    "bench.stowage.io/tier": String(Math.floor(random() * 3)),
  };
  const metadata = { name, namespace, labels };
  switch (resource) {
    case "configmaps":
      return { apiVersion: "v1", kind: "ConfigMap", metadata, data: payload(random, configText) };
    case "secrets":
      return {
        apiVersion: "v1",
        kind: "Secret",
        metadata,
        type: "Opaque",
        data: Object.fromEntries(
          Object.entries(payload(random, keyMaterial)).map(([k, v]) => [
            k,
            Buffer.from(v).toString("base64"),
          ]),
        ),
      };
    case "services":
      return {
        apiVersion: "v1",
        kind: "Service",
        metadata,
        spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
      };
    case "deployments.apps":
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata,
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: "app",
                  image: "registry.example/app:1.0",
                  ports: [{ containerPort: 8080 }],
                  env: [{ name: "MODE", value: "bench" }],
                  resources: { requests: { cpu: "10m", memory: "16Mi" } },
                },
              ],
            },
          },
        },
      };
    default:
      return {
        apiVersion: `${CRD_GROUP}/v1`,
        kind: "Widget",
        metadata,
        spec: { size: Math.floor(random() * 100), color: ["red", "green", "blue"][Math.floor(random() * 3)] },
      };
  }
};

/**
 * The population: `objects` objects over `namespaces` namespaces (namespace objects not counted).
 * Yields lazily so 100k objects never sit in memory at once.
 */
export function* population(objects: number, namespaces: readonly string[]): Generator<Seed> {
  const random = prng(0x5709a9e);
  const perKind = MIX.map(
    ([resource, share]) => [resource, Math.max(1, Math.round(objects * share))] as const,
  );
  let remaining = objects;
  for (const [resource, wanted] of perKind) {
    const count = Math.min(wanted, remaining);
    remaining -= count;
    const short = resource.split(".")[0] ?? resource;
    for (let i = 0; i < count; i++) {
      const namespace = namespaces[i % namespaces.length] ?? "default";
      yield { resource, object: objectFor(resource, `${short}-${i}`, namespace, random) };
    }
  }
}
