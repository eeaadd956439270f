import { ValidationError } from "../errors.ts";
import type { Transport } from "./transport.ts";

/** One resource served by the apiserver at one group/version. */
export interface ApiResource {
  /** API group; `""` for the core group. */
  readonly group: string;
  readonly version: string;
  /** `v1` for core, else `<group>/<version>` (an object's `apiVersion`). */
  readonly groupVersion: string;
  /** Plural resource name, e.g. `deployments`. */
  readonly resource: string;
  /** Velero's `GroupResource.String()`: `pods`, `deployments.apps`. */
  readonly groupResource: string;
  readonly kind: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** True when `version` is the group's preferred version. */
  readonly preferred: boolean;
}

/** An API group with its versions, preferred first. */
export interface ApiGroup {
  readonly name: string;
  readonly versions: readonly string[];
  readonly preferredVersion: string;
}

/** Everything the server serves, plus warnings for groups that could not be discovered. */
export interface Discovery {
  readonly groups: readonly ApiGroup[];
  /** Every resource at every served version (no subresources). */
  readonly resources: readonly ApiResource[];
  /** Groups or versions that failed discovery (e.g. a broken aggregated API); not fatal. */
  readonly warnings: readonly string[];
  /**
   * One entry per group-resource, at the group's preferred version when it serves the resource there,
   * else at the first version that does (client-go's `ServerPreferredResources`).
   */
  preferredResources(): ApiResource[];
  /**
   * Resolves a user-given name to one resource: plural, singular, kind or short name, optionally
   * qualified by group (`deployments.apps`) or version and group (`deployments.v1.apps`).
   * @throws ValidationError listing close matches when nothing (or more than one group) matches.
   */
  resolve(name: string): ApiResource;
  /** Like {@link resolve} but returns undefined instead of throwing. */
  find(name: string): ApiResource | undefined;
  /** The preferred-version resource for a group-resource string (`deployments.apps`, `pods`). */
  forGroupResource(groupResource: string): ApiResource | undefined;
  /** The resource for an object's `apiVersion` and `kind`. */
  forKind(apiVersion: string, kind: string): ApiResource | undefined;
}

interface DiscoveryResourceV2 {
  resource: string;
  responseKind?: { kind?: string };
  scope?: string;
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}
interface DiscoveryVersionV2 {
  version: string;
  resources?: DiscoveryResourceV2[];
  freshness?: string;
}
interface DiscoveryGroupV2 {
  metadata?: { name?: string };
  versions?: DiscoveryVersionV2[];
}
interface LegacyResource {
  name: string;
  kind: string;
  namespaced: boolean;
  singularName?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

const AGGREGATED_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

type RawResource = Omit<ApiResource, "preferred" | "groupVersion" | "groupResource">;

const finish = (raw: RawResource, preferredVersion: string): ApiResource => ({
  ...raw,
  groupVersion: raw.group ? `${raw.group}/${raw.version}` : raw.version,
  groupResource: raw.group ? `${raw.resource}.${raw.group}` : raw.resource,
  preferred: raw.version === preferredVersion,
});

const fromAggregated = (
  items: DiscoveryGroupV2[],
  warnings: string[],
): { groups: ApiGroup[]; raw: RawResource[] } => {
  const groups: ApiGroup[] = [];
  const raw: RawResource[] = [];
  for (const item of items) {
    const group = item.metadata?.name ?? "";
    const versions = (item.versions ?? []).map((v) => v.version);
    if (versions.length === 0) continue;
    groups.push({ name: group, versions, preferredVersion: versions[0]! });
    for (const v of item.versions ?? []) {
      if (v.freshness === "Stale") {
        warnings.push(
          `API group version ${group ? `${group}/` : ""}${v.version} is stale (its aggregated API server is not answering); its resources are skipped`,
        );
        continue;
      }
      for (const r of v.resources ?? []) {
        raw.push({
          group,
          version: v.version,
          resource: r.resource,
          kind: r.responseKind?.kind ?? "",
          singular: r.singularResource ?? "",
          namespaced: r.scope === "Namespaced",
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
        });
      }
    }
  }
  return { groups, raw };
};

const legacyGroupVersion = async (
  transport: Transport,
  group: string,
  version: string,
  warnings: string[],
) => {
  const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
  try {
    const response = await transport.request({ method: "GET", path });
    const list = JSON.parse(response.body.toString("utf8")) as { resources?: LegacyResource[] };
    return (list.resources ?? [])
      .filter((r) => !r.name.includes("/"))
      .map(
        (r): RawResource => ({
          group,
          version,
          resource: r.name,
          kind: r.kind,
          singular: r.singularName ?? "",
          namespaced: r.namespaced,
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
        }),
      );
  } catch (error) {
    warnings.push(`discovery of ${path} failed: ${(error as Error).message}; its resources are skipped`);
    return [];
  }
};

const fromLegacy = async (transport: Transport, warnings: string[]) => {
  const core = JSON.parse(
    (await transport.request({ method: "GET", path: "/api" })).body.toString("utf8"),
  ) as {
    versions: string[];
  };
  const apis = JSON.parse(
    (await transport.request({ method: "GET", path: "/apis" })).body.toString("utf8"),
  ) as {
    groups: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[];
  };
  const groups: ApiGroup[] = [
    { name: "", versions: core.versions, preferredVersion: core.versions[0] ?? "v1" },
  ];
  for (const g of apis.groups) {
    const versions = g.versions.map((v) => v.version);
    groups.push({
      name: g.name,
      versions,
      preferredVersion: g.preferredVersion?.version ?? versions[0] ?? "",
    });
  }
  const lists = await Promise.all(
    groups.flatMap((g) => g.versions.map((v) => legacyGroupVersion(transport, g.name, v, warnings))),
  );
  return { groups, raw: lists.flat() };
};

/** Reads the server's discovery documents (aggregated discovery, or per group-version on older servers). */
export const discover = async (transport: Transport): Promise<Discovery> => {
  const warnings: string[] = [];
  const fetchAggregated = async (path: string) => {
    const response = await transport.request({ method: "GET", path, accept: AGGREGATED_ACCEPT });
    const body = JSON.parse(response.body.toString("utf8")) as { kind?: string; items?: DiscoveryGroupV2[] };
    return body.kind === "APIGroupDiscoveryList" ? (body.items ?? []) : undefined;
  };
  const [core, apis] = await Promise.all([fetchAggregated("/api"), fetchAggregated("/apis")]);
  const { groups, raw } =
    core && apis ? fromAggregated([...core, ...apis], warnings) : await fromLegacy(transport, warnings);
  // Velero moves the legacy `extensions` group last so `apps` wins for cohabiting resources.
  const ordered = [
    ...groups.filter((g) => g.name !== "extensions"),
    ...groups.filter((g) => g.name === "extensions"),
  ];
  const preferredOf = new Map(ordered.map((g) => [g.name, g.preferredVersion]));
  const resources = raw.map((r) => finish(r, preferredOf.get(r.group) ?? ""));
  return makeDiscovery(ordered, resources, warnings);
};

const lower = (s: string) => s.toLowerCase();

/** Builds the query helpers over a discovered resource set (exported for tests and fixtures). */
export const makeDiscovery = (
  groups: ApiGroup[],
  resources: ApiResource[],
  warnings: string[],
): Discovery => {
  const groupOrder = new Map(groups.map((g, i) => [g.name, i]));
  let preferredCache: ApiResource[] | undefined;
  const preferredResources = (): ApiResource[] => {
    if (preferredCache) return preferredCache;
    const out: ApiResource[] = [];
    for (const g of groups) {
      const seen = new Set<string>();
      for (const version of [g.preferredVersion, ...g.versions.filter((v) => v !== g.preferredVersion)]) {
        for (const r of resources) {
          if (r.group !== g.name || r.version !== version || seen.has(r.resource)) continue;
          seen.add(r.resource);
          out.push(r);
        }
      }
    }
    preferredCache = out;
    return out;
  };

  const matches = (r: ApiResource, n: string) =>
    lower(r.resource) === n ||
    lower(r.singular) === n ||
    lower(r.kind) === n ||
    r.shortNames.some((s) => lower(s) === n);

  const find = (input: string): ApiResource | undefined => {
    const name = lower(input.trim());
    const candidates = preferredResources();
    const byGroupOrder = (a: ApiResource, b: ApiResource) =>
      (groupOrder.get(a.group) ?? 0) - (groupOrder.get(b.group) ?? 0);
    // unqualified: kubectl semantics, first group in discovery order (core first)
    const direct = candidates.filter((r) => matches(r, name)).sort(byGroupOrder);
    if (direct.length > 0 && !name.includes(".")) return direct[0];
    // qualified: <name>.<group> or <name>.<version>.<group>
    const dot = name.indexOf(".");
    if (dot > 0) {
      const head = name.slice(0, dot);
      const rest = name.slice(dot + 1);
      const inGroup = candidates.find((r) => lower(r.group) === rest && matches(r, head));
      if (inGroup) return inGroup;
      const dot2 = rest.indexOf(".");
      if (dot2 > 0) {
        const version = rest.slice(0, dot2);
        const group = rest.slice(dot2 + 1);
        const exact = resources.find(
          (r) => lower(r.group) === group && r.version === version && matches(r, head),
        );
        if (exact) return exact;
      }
      if (rest === "core" || rest === "v1") return candidates.find((r) => r.group === "" && matches(r, head));
    }
    return direct[0];
  };

  return {
    groups,
    resources,
    warnings,
    preferredResources,
    find,
    resolve(name) {
      const found = find(name);
      if (found) return found;
      const needle = lower(name.split(".")[0] ?? name);
      const close = preferredResources()
        .filter((r) => r.resource.includes(needle.slice(0, 4)) || needle.includes(r.singular))
        .slice(0, 5)
        .map((r) => r.groupResource);
      throw new ValidationError(
        [
          `resource "${name}" is not served by this cluster: expected a plural, singular, kind or short name (optionally .group)${close.length ? `; did you mean ${close.join(", ")}?` : "; `kubectl api-resources` lists what it serves"}`,
        ],
        "resource",
      );
    },
    forGroupResource(groupResource) {
      return preferredResources().find((r) => r.groupResource === groupResource);
    },
    forKind(apiVersion, kind) {
      const slash = apiVersion.lastIndexOf("/");
      const group = slash < 0 ? "" : apiVersion.slice(0, slash);
      const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
      return (
        resources.find((r) => r.group === group && r.version === version && r.kind === kind) ??
        preferredResources().find((r) => r.group === group && r.kind === kind)
      );
    },
  };
};
