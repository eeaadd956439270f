import { StowageError, type StowageErrorCode } from "../errors.ts";

/** One cause from a Kubernetes `Status` (e.g. a field that failed validation). */
export interface StatusCause {
  readonly reason?: string;
  readonly message?: string;
  readonly field?: string;
}

/** What the request was, for messages. */
export interface RequestDescription {
  readonly method: string;
  readonly path: string;
}

/** An error answered by the apiserver, with the server's `Status` reason, code and causes. */
export class KubeApiError extends StowageError {
  /** HTTP status code. */
  readonly status: number;
  /** `Status.reason` (NotFound, AlreadyExists, Conflict, Forbidden, Invalid, …). */
  readonly reason: string;
  /** `Status.details.causes`. */
  readonly causes: readonly StatusCause[];
  readonly request: RequestDescription;

  constructor(
    code: StowageErrorCode,
    init: {
      status: number;
      reason: string;
      message: string;
      causes?: readonly StatusCause[];
      request: RequestDescription;
    },
  ) {
    super(
      code,
      `${init.request.method} ${init.request.path}: ${init.message} (HTTP ${init.status} ${init.reason})`,
    );
    this.status = init.status;
    this.reason = init.reason;
    this.causes = init.causes ?? [];
    this.request = init.request;
  }
}

/** The object (or resource) does not exist: HTTP 404. */
export class NotFoundError extends KubeApiError {}
/** Create of an object that exists: HTTP 409 reason AlreadyExists. */
export class AlreadyExistsError extends KubeApiError {}
/** Optimistic-concurrency conflict: HTTP 409 reason Conflict. */
export class ConflictError extends KubeApiError {}
/** RBAC denied the request: HTTP 403. */
export class ForbiddenError extends KubeApiError {}
/** The credentials were rejected: HTTP 401. */
export class UnauthorizedError extends KubeApiError {}
/** The object failed validation (HTTP 422), with the server's causes. */
export class InvalidError extends KubeApiError {}

/** The apiserver could not be reached at all (after retries). */
export class KubeUnreachableError extends StowageError {
  constructor(server: string, cause: unknown) {
    super(
      "ERR_KUBE_UNREACHABLE",
      `cannot reach the Kubernetes API server at ${server} (${(cause as Error)?.message ?? String(cause)}): is the cluster running and is the kubeconfig's server URL right? try \`kubectl --kubeconfig … get --raw /readyz\``,
      { cause },
    );
  }
}

/**
 * A request that is not safe to repeat (a create) failed after it may have reached the server: the
 * connection broke once it was sent, or the server answered 5xx. The object may or may not exist now;
 * the caller reads it back (by name, or by a label unique to the create) before creating again.
 */
export class AmbiguousRequestError extends StowageError {
  readonly request: RequestDescription;
  /** The server's HTTP status when it answered (5xx); undefined when the connection broke. */
  readonly status: number | undefined;

  constructor(request: RequestDescription, cause: unknown, status?: number) {
    super(
      "ERR_KUBE_OUTCOME_UNKNOWN",
      `${request.method} ${request.path}: the outcome is unknown (${(cause as Error)?.message ?? String(cause)}) after the request may have reached the API server, so it was not repeated: read the object back before creating it again`,
      { cause },
    );
    this.request = request;
    this.status = status;
  }
}

interface StatusBody {
  kind?: string;
  reason?: string;
  message?: string;
  details?: { causes?: StatusCause[] };
}

/** Builds the typed error for a non-2xx answer, from the server's `Status` body when it sent one. */
export const errorFromResponse = (
  status: number,
  body: Buffer,
  request: RequestDescription,
): KubeApiError => {
  let parsed: StatusBody = {};
  try {
    parsed = JSON.parse(body.toString("utf8")) as StatusBody;
  } catch {
    parsed = { message: body.toString("utf8").slice(0, 500) || `HTTP ${status}` };
  }
  const reason =
    parsed.reason ?? (status === 404 ? "NotFound" : status === 403 ? "Forbidden" : `HTTP${status}`);
  const init = {
    status,
    reason,
    message: parsed.message ?? `HTTP ${status}`,
    causes: parsed.details?.causes ?? [],
    request,
  };
  if (status === 404) return new NotFoundError("ERR_NOT_FOUND", init);
  if (status === 409 && reason === "AlreadyExists") return new AlreadyExistsError("ERR_ALREADY_EXISTS", init);
  if (status === 409) return new ConflictError("ERR_CONFLICT", init);
  if (status === 403) {
    return new ForbiddenError("ERR_FORBIDDEN", {
      ...init,
      message: `${init.message}; grant the identity in the kubeconfig RBAC for this verb and resource`,
    });
  }
  if (status === 401) {
    return new UnauthorizedError("ERR_UNAUTHORIZED", {
      ...init,
      message: `${init.message}; the kubeconfig's credentials were rejected: refresh the token or certificate`,
    });
  }
  if (status === 422) return new InvalidError("ERR_INVALID", init);
  return new KubeApiError("ERR_KUBE", init);
};

/** True when the error is a NotFound from the apiserver. */
export const isNotFound = (error: unknown): error is NotFoundError => error instanceof NotFoundError;
/** True when the error is an AlreadyExists from the apiserver. */
export const isAlreadyExists = (error: unknown): error is AlreadyExistsError =>
  error instanceof AlreadyExistsError;
