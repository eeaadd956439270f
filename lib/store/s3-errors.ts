/**
 * Maps AWS SDK and network errors to `StoreError`s whose messages say what to do. Only the error's
 * name, HTTP status and the service's message are quoted: never a credential, header or signed URL.
 */
import { AbortError, ConfigError, isStowageError, StoreError } from "../errors.ts";
import { TLS_VERIFY_CODES } from "../util/tls.ts";

/** What the failing call was doing, for the message. */
export interface S3ErrorContext {
  readonly operation: string;
  readonly key: string;
  /** `s3://bucket/prefix`. */
  readonly location: string;
  readonly bucket: string;
  /** The endpoint for messages (credentials stripped), e.g. `http://127.0.0.1:9000` or `AWS S3`. */
  readonly endpoint: string;
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
]);

const DENIED = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "InvalidToken",
  "ExpiredToken",
  "TokenRefreshRequired",
  "AllAccessDisabled",
  "AccountProblem",
  "Forbidden",
]);

/** The first errno-like code found on the error, its cause or (for AggregateError) its members. */
const networkCode = (error: ErrorShape, depth = 0): string | undefined => {
  if (depth > 4) return undefined;
  const code =
    typeof error.code === "string" ? error.code : typeof error.name === "string" ? error.name : undefined;
  if (code !== undefined && (NETWORK_CODES.has(code) || TLS_VERIFY_CODES.has(code))) return code;
  if (Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const found =
        typeof inner === "object" && inner !== null ? networkCode(inner as ErrorShape, depth + 1) : undefined;
      if (found) return found;
    }
  }
  if (typeof error.cause === "object" && error.cause !== null)
    return networkCode(error.cause as ErrorShape, depth + 1);
  return undefined;
};

/** The S3 error name (`NoSuchBucket`, `AccessDenied`, …) and HTTP status of an SDK error. */
export const s3ErrorInfo = (
  error: unknown,
): { name: string; status: number | undefined; message: string } => {
  const e = (typeof error === "object" && error !== null ? error : {}) as ErrorShape;
  const status = typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  const name = typeof e.name === "string" ? e.name : "Error";
  const message = typeof e.message === "string" ? e.message : String(error);
  return { name, status, message };
};

/** True when the SDK error means "no such key" (GET: NoSuchKey; HEAD: a bare 404 NotFound). */
export const isS3NotFound = (error: unknown): boolean => {
  const { name, status } = s3ErrorInfo(error);
  return name === "NoSuchKey" || name === "NotFound" || (status === 404 && name !== "NoSuchBucket");
};

const credentialHint =
  "check credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), AWS_PROFILE, the location's `credentialsFile`/`profile`, or the `credentials` option; and that they allow s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the bucket";

/** Wraps `error` in a StoreError (or ConfigError/AbortError) for `context`; Stowage errors pass through. */
export const s3Error = (error: unknown, context: S3ErrorContext): Error => {
  if (isStowageError(error)) return error;
  const { operation, key, location, bucket, endpoint } = context;
  const { name, status, message } = s3ErrorInfo(error);
  const what = `${operation} "${key}" in ${location}`;
  const opts = { cause: error };

  if (name === "AbortError") return new AbortError(`${what} was aborted; nothing was written`, opts);
  if (name === "NoSuchBucket") {
    return new StoreError(
      `${what} failed: bucket "${bucket}" does not exist at ${endpoint}: create the bucket (e.g. \`aws s3 mb s3://${bucket}\`, or \`mc mb\` for MinIO), or fix \`bucket\``,
      opts,
    );
  }
  if (DENIED.has(name) || status === 403) {
    return new StoreError(
      `${what} failed: access denied by ${endpoint} (${name}: ${message}): ${credentialHint}`,
      opts,
    );
  }
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(message)) {
    return new StoreError(
      `${what} failed: no AWS credentials found (${message}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, the location's \`credentialsFile\`, or pass \`credentials\``,
      opts,
    );
  }
  if (/Region is missing/i.test(message)) {
    return new ConfigError(
      `${what} failed: no AWS region configured: set \`region\` (config.region for a location) or AWS_REGION`,
      opts,
    );
  }
  if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed" || status === 301) {
    return new StoreError(
      `${what} failed: bucket "${bucket}" is in another region than the one configured (${name}): set \`region\` to the bucket's region`,
      opts,
    );
  }
  const net = networkCode(error as ErrorShape);
  if (net !== undefined && TLS_VERIFY_CODES.has(net)) {
    return new StoreError(
      `${what} failed: TLS verification of ${endpoint} failed (${net}): pass the server's CA as \`caCert\`, or set \`insecureSkipTLSVerify\` for testing only`,
      opts,
    );
  }
  if (net !== undefined) {
    return new StoreError(
      `${what} failed: cannot reach the S3 endpoint ${endpoint} (${net}): is the endpoint reachable? check \`endpoint\` (s3Url) and that the service is running`,
      opts,
    );
  }
  if (name === "InvalidBucketName") {
    return new ConfigError(
      `${what} failed: "${bucket}" is not a valid bucket name (${message}): fix \`bucket\``,
      opts,
    );
  }
  return new StoreError(
    `${what} failed (${name}${status === undefined ? "" : `, HTTP ${status}`}: ${message}): see the cause; check the endpoint ${endpoint} and the bucket`,
    opts,
  );
};

/** An endpoint URL safe to print: user info (credentials) removed. */
export const redactEndpoint = (endpoint: string): string => {
  try {
    const url = new URL(endpoint);
    url.username = "";
    url.password = "";
    url.search = "";
    return url.href.replace(/\/$/, "");
  } catch {
    return "(an unparseable endpoint)";
  }
};
