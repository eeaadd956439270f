/** A Kubernetes object as JSON: what the apiserver returns and accepts. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

/** A Kubernetes object's `metadata` as plain JSON: the common fields typed, any other kept as is. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<Record<string, unknown>>;
  finalizers?: string[];
  managedFields?: Array<Record<string, unknown>>;
  selfLink?: string;
  [field: string]: unknown;
}

/**
 * The ObjectMeta fields the API server sets, in Go struct order (between `namespace` and `labels`):
 * Velero resets them before creating an object, and its serialised metadata lists them in this order.
 */
export const SERVER_SET_META_FIELDS = [
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
] as const;

/** A page of a LIST. */
export interface ListPage {
  readonly items: KubeObject[];
  /** The list's resourceVersion (a consistent snapshot point). */
  readonly resourceVersion: string | undefined;
  /** True when the continue token expired and the list restarted from a fresh snapshot. */
  readonly restarted: boolean;
}
