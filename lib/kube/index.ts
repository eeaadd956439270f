export type {
  DeleteOptions,
  ListOptions,
  PatchOptions,
  PatchType,
  RequestOptions,
  ResourceRef,
  WriteOptions,
} from "./client.ts";
export { Cluster } from "./client.ts";
export type { ConfigOptions, ConfigSource } from "./config.ts";
export { type ConnectOptions, connect } from "./connect.ts";
export { createReconciled, type Reconciled, type ReconcileOptions } from "./create.ts";
export type { ApiGroup, ApiResource, Discovery } from "./discovery.ts";
export {
  AlreadyExistsError,
  AmbiguousRequestError,
  ConflictError,
  ForbiddenError,
  InvalidError,
  isAlreadyExists,
  isNotFound,
  KubeApiError,
  KubeUnreachableError,
  NotFoundError,
  type StatusCause,
  UnauthorizedError,
} from "./errors.ts";
export { ExecError, type ExecOptions, type ExecResult, ExecTimeoutError } from "./exec-types.ts";
export { createLimiter, type Limiter } from "./limiter.ts";
export type { RetryOptions } from "./retry.ts";
export type { KubeRequest, KubeResponse, RetryEvent } from "./transport.ts";
export type { KubeObject, ListPage, ObjectMeta } from "./types.ts";
