import { ValidationError } from "../errors.ts";
import type { LoadedConfig } from "./config.ts";
import { type ApiResource, type Discovery, discover } from "./discovery.ts";
import { KubeApiError } from "./errors.ts";
import { runExec } from "./exec.ts";
import type { ExecOptions, ExecResult } from "./exec-types.ts";
import type { Limiter } from "./limiter.ts";
import type { KubeRequest, Transport } from "./transport.ts";
import type { KubeObject, ListPage } from "./types.ts";

/** A resource given by name (`deploy`, `deployments.apps`, `Deployment`) or as a discovered resource. */
export type ResourceRef = string | ApiResource;

/** Options common to requests. */
export interface RequestOptions {
  /** Namespace for namespaced resources; ignored for cluster-scoped ones. */
  readonly namespace?: string | undefined;
  /** Cancels the request. */
  readonly signal?: AbortSignal | undefined;
}

/** Options for writes (create, update, patch, delete). */
export interface WriteOptions extends RequestOptions {
  /**
   * Server-side dry run: the server validates and runs admission but persists nothing.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * Field manager recorded in managedFields.
   * @default "stowage"
   */
  readonly fieldManager?: string;
}

/** Options of `Cluster.list` and `Cluster.listPages`: a label and field selector, a page size. */
export interface ListOptions extends RequestOptions {
  /** Label selector in `kubectl -l` syntax. */
  readonly labelSelector?: string | undefined;
  /** Field selector, e.g. `metadata.name=foo`. */
  readonly fieldSelector?: string | undefined;
  /**
   * Page size (`limit`).
   * @default 500
   */
  readonly limit?: number;
}

/** Patch flavours: JSON merge patch, JSON patch, strategic merge patch, server-side apply. */
export type PatchType = "merge" | "json" | "strategic" | "apply";

/** Options of `Cluster.patch`: the patch flavour and, for server-side apply, `force`. */
export interface PatchOptions extends WriteOptions {
  /**
   * @default "merge"
   */
  readonly type?: PatchType;
  /**
   * For `apply`: take ownership of conflicting fields.
   * @default false
   */
  readonly force?: boolean;
}

/** Options of `Cluster.delete`: the propagation policy and the attempts for this request. */
export interface DeleteOptions extends WriteOptions {
  /** @default the resource's default (Background for most) */
  readonly propagationPolicy?: "Foreground" | "Background" | "Orphan";
  readonly gracePeriodSeconds?: number;
}

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

const parse = (body: Buffer): KubeObject => JSON.parse(body.toString("utf8")) as KubeObject;

/** The cluster access every backup and restore goes through. Create it with `connect()`. */
export class Cluster {
  readonly #transport: Transport;
  readonly #config: LoadedConfig;
  #discovery: Promise<Discovery> | undefined;
  /** The concurrency limiter shared by every request made through this connection. */
  readonly limiter: Limiter;

  /** @internal use `connect()` */
  constructor(config: LoadedConfig, transport: Transport, limiter: Limiter) {
    this.#config = config;
    this.#transport = transport;
    this.limiter = limiter;
  }

  /** The API server URL. */
  get server(): string {
    return this.#config.server;
  }
  /** The kubeconfig context in use (`inClusterContext` in a pod). */
  get context(): string {
    return this.#config.context;
  }
  /** The context's default namespace, if it has one. */
  get namespace(): string | undefined {
    return this.#config.namespace;
  }

  /** A raw request to the apiserver, with auth, retries and the shared limiter. */
  request(req: KubeRequest) {
    return this.#transport.request(req);
  }

  /** The server's version (`/version`). */
  async version(): Promise<{ gitVersion: string; major: string; minor: string }> {
    return parse((await this.request({ method: "GET", path: "/version" })).body) as unknown as {
      gitVersion: string;
      major: string;
      minor: string;
    };
  }

  /** Discovery, cached; pass `refresh` to see CRDs added since. */
  discovery(options: { refresh?: boolean } = {}): Promise<Discovery> {
    if (options.refresh || !this.#discovery) {
      const pending = discover(this.#transport);
      this.#discovery = pending;
      pending.catch(() => {
        if (this.#discovery === pending) this.#discovery = undefined;
      });
    }
    return this.#discovery;
  }

  /** Resolves a resource name through discovery (see {@link Discovery.resolve}). */
  async resource(ref: ResourceRef): Promise<ApiResource> {
    return typeof ref === "string" ? (await this.discovery()).resolve(ref) : ref;
  }

  /** API path of a collection or object. */
  path(resource: ApiResource, namespace?: string, name?: string): string {
    const base = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
    if (resource.namespaced && !namespace && name !== undefined) {
      throw new ValidationError([
        `${resource.groupResource} is namespaced: a namespace is required to address "${name}"`,
      ]);
    }
    const ns = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
    return `${base}${ns}/${resource.resource}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  /**
   * Paginated LIST: yields one page at a time (`limit`/`continue`). Items get `apiVersion`/`kind` set.
   * An expired continue token (HTTP 410) restarts the list from a fresh snapshot and skips items
   * already yielded, so every object is seen exactly once.
   */
  async *listPages(ref: ResourceRef, options: ListOptions = {}): AsyncGenerator<ListPage> {
    const resource = await this.resource(ref);
    const path = this.path(resource, options.namespace);
    const limit = options.limit ?? 500;
    let token: string | undefined;
    let restarted = false;
    let seen: Set<string> | undefined;
    for (;;) {
      let response: Awaited<ReturnType<Transport["request"]>>;
      try {
        response = await this.request({
          method: "GET",
          path,
          query: {
            limit,
            continue: token,
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector,
          },
          signal: options.signal,
        });
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 410 && token !== undefined) {
          token = undefined;
          restarted = true;
          continue;
        }
        throw error;
      }
      const list = parse(response.body) as {
        items?: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      const items = (list.items ?? []).map((item) => ({
        apiVersion: resource.groupVersion,
        kind: resource.kind,
        ...item,
      }));
      const out = seen && restarted ? items.filter((i) => !seen!.has(i.metadata?.uid ?? "")) : items;
      token = list.metadata?.continue || undefined;
      // once a list spans pages, remember what was yielded so a restart never yields an item twice
      if (token || seen) {
        seen ??= new Set();
        for (const i of out) seen.add(i.metadata?.uid ?? "");
      }
      yield { items: out, resourceVersion: list.metadata?.resourceVersion, restarted };
      if (!token) return;
    }
  }

  /** LIST collected into one array (use {@link listPages} for large collections). */
  async list(ref: ResourceRef, options: ListOptions = {}): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for await (const page of this.listPages(ref, options)) out.push(...page.items);
    return out;
  }

  async get(ref: ResourceRef, name: string, options: RequestOptions = {}): Promise<KubeObject> {
    const resource = await this.resource(ref);
    const response = await this.request({
      method: "GET",
      path: this.path(resource, options.namespace, name),
      signal: options.signal,
    });
    return parse(response.body);
  }

  /** GET that returns undefined on NotFound. */
  async tryGet(
    ref: ResourceRef,
    name: string,
    options: RequestOptions = {},
  ): Promise<KubeObject | undefined> {
    try {
      return await this.get(ref, name, options);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  async create(ref: ResourceRef, object: KubeObject, options: WriteOptions = {}): Promise<KubeObject> {
    const resource = await this.resource(ref);
    const namespace = options.namespace ?? object.metadata?.namespace;
    const response = await this.request({
      method: "POST",
      path: this.path(resource, namespace),
      query: writeQuery(options),
      body: object,
      signal: options.signal,
    });
    return parse(response.body);
  }

  /** PUT (replace); the object must carry its current resourceVersion. */
  async update(
    ref: ResourceRef,
    object: KubeObject,
    options: WriteOptions & { subresource?: "status" } = {},
  ) {
    const resource = await this.resource(ref);
    const name = requireName(object);
    const namespace = options.namespace ?? object.metadata?.namespace;
    const response = await this.request({
      method: "PUT",
      path: `${this.path(resource, namespace, name)}${options.subresource ? `/${options.subresource}` : ""}`,
      query: writeQuery(options),
      body: object,
      signal: options.signal,
    });
    return parse(response.body);
  }

  async patch(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<KubeObject> {
    const resource = await this.resource(ref);
    const type = options.type ?? "merge";
    const response = await this.request({
      method: "PATCH",
      path: this.path(resource, options.namespace, name),
      query: { ...writeQuery(options), force: type === "apply" && options.force ? true : undefined },
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      signal: options.signal,
    });
    return parse(response.body);
  }

  async delete(ref: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const resource = await this.resource(ref);
    const body: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "v1" };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.dryRun) body.dryRun = ["All"];
    const response = await this.request({
      method: "DELETE",
      path: this.path(resource, options.namespace, name),
      body,
      signal: options.signal,
    });
    return parse(response.body);
  }

  /**
   * Runs a command in a container of a running pod, over the apiserver's `pods/exec` subresource
   * (WebSocket, `v5.channel.k8s.io`, falling back to `v4.channel.k8s.io`). Output streams to
   * `onStdout`/`onStderr` as it arrives; a non-zero exit code is returned, not thrown.
   * @throws ExecTimeoutError after `timeoutMs`; AbortError on `signal`; NotFoundError for a missing pod;
   *   ExecError when the container does not exist or the stream cannot be opened.
   */
  exec(options: ExecOptions): Promise<ExecResult> {
    const readPod = (namespace: string, name: string) =>
      this.tryGet("pods", name, { namespace, ...(options?.signal ? { signal: options.signal } : {}) });
    return runExec(this.#config, this.#transport, readPod, options);
  }

  /** Releases pooled connections; the process can then exit promptly. */
  close(): void {
    this.#transport.close();
  }
}

const writeQuery = (options: WriteOptions) => ({
  dryRun: options.dryRun ? "All" : undefined,
  fieldManager: options.fieldManager ?? "stowage",
});

const requireName = (object: KubeObject): string => {
  const name = object.metadata?.name;
  if (!name)
    throw new ValidationError(["the object has no metadata.name: an update needs the object's name"]);
  return name;
};
