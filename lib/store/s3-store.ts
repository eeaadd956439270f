/**
 * `s3Store`: S3 and S3-compatible services (MinIO, Ceph RGW, R2, GCS interop) through @aws-sdk/client-s3.
 * Uploads stream through @aws-sdk/lib-storage's multipart `Upload` (at most `queueSize × partSize` bytes
 * in memory), listings paginate ListObjectsV2, signed URLs come from the request presigner.
 */
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { ListObjectsV2CommandOutput, S3Client } from "@aws-sdk/client-s3";
import { ConfigError, StoreError } from "../errors.ts";
import { checkedStore } from "./checked-store.ts";
import { compareKeys } from "./keys.ts";
import type { ObjectBody, ObjectStore, PutOptions } from "./object-store.ts";
import { isInMemoryBody, toBuffer } from "./object-store.ts";
import { isS3NotFound, redactEndpoint, type S3ErrorContext, s3Error, s3ErrorInfo } from "./s3-errors.ts";
import { buildS3Client, normalizeS3Options, type S3StoreOptions } from "./s3-options.ts";

export type { S3ChecksumAlgorithm, S3Credentials, S3StoreOptions } from "./s3-options.ts";

/**
 * An S3 (or S3-compatible) store. Creating it does no I/O (the AWS SDK itself is loaded on the first
 * call); errors surface on the first call.
 */
export const s3Store = (options: S3StoreOptions): ObjectStore => {
  const o = normalizeS3Options(options);
  let built: Promise<S3Client> | undefined;
  const client = (): Promise<S3Client> => {
    built ??= o.client ? Promise.resolve(o.client) : buildS3Client(o);
    return built;
  };
  let builtPresigner: Promise<S3Client> | undefined;
  const presigner = (): Promise<S3Client> => {
    builtPresigner ??= o.publicEndpoint && !o.client ? buildS3Client(o, o.publicEndpoint) : client();
    return builtPresigner;
  };
  const location = `s3://${o.bucket}${o.prefix ? `/${o.prefix}` : ""}${o.endpoint ? ` (endpoint ${redactEndpoint(o.endpoint)})` : ""}`;
  const { bucket, root } = o;
  const context = (operation: string, key: string): S3ErrorContext => ({
    operation,
    key,
    location,
    bucket,
    endpoint: o.endpointForMessages,
  });

  async function* listPages(prefix: string, delimiter?: string): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        const { ListObjectsV2Command } = await import("./s3-sdk.ts");
        page = await (await client()).send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: root + prefix,
            ...(delimiter ? { Delimiter: delimiter } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw s3Error(error, context("list", prefix));
      }
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async function* listKeys(prefix: string): AsyncGenerator<string> {
    for await (const page of listPages(prefix)) {
      for (const object of page.Contents ?? []) {
        if (object.Key?.startsWith(root)) yield object.Key.slice(root.length);
      }
    }
  }

  const store = checkedStore({
    location,

    async put(key: string, body: ObjectBody, putOptions: PutOptions = {}): Promise<void> {
      let sdk: typeof import("./s3-sdk.ts");
      let s3: S3Client;
      try {
        [sdk, s3] = await Promise.all([import("./s3-sdk.ts"), client()]);
      } catch (error) {
        if (body instanceof Readable && !body.destroyed) body.destroy();
        throw s3Error(error, context("write", key));
      }
      const abort = new AbortController();
      const onAbort = () => abort.abort(putOptions.signal?.reason);
      putOptions.signal?.addEventListener("abort", onAbort, { once: true });
      const upload = new sdk.Upload({
        client: s3,
        partSize: o.partSize,
        queueSize: o.queueSize,
        leavePartsOnError: false,
        abortController: abort,
        params: {
          Bucket: bucket,
          Key: root + key,
          Body: isInMemoryBody(body) ? toBuffer(body) : body,
          ContentType: putOptions.contentType ?? "application/octet-stream",
          // Sent with PutObject and CompleteMultipartUpload, so a large upload also fails atomically.
          ...(putOptions.ifNoneMatch ? { IfNoneMatch: "*" } : {}),
          ...(o.checksumAlgorithm ? { ChecksumAlgorithm: o.checksumAlgorithm } : {}),
          ...(o.kmsKeyId
            ? { ServerSideEncryption: "aws:kms" as const, SSEKMSKeyId: o.kmsKeyId }
            : o.serverSideEncryption
              ? { ServerSideEncryption: o.serverSideEncryption as "AES256" }
              : {}),
          ...(o.tagging ? { Tagging: o.tagging } : {}),
        },
      });
      try {
        await upload.done();
      } catch (error) {
        const { name, status } = s3ErrorInfo(error);
        // Unblock whoever is writing into the stream (a tar/gzip pipeline would otherwise wait forever).
        if (body instanceof Readable && !body.destroyed) body.destroy();
        if (putOptions.ifNoneMatch && (name === "PreconditionFailed" || status === 412)) {
          throw new StoreError(
            `"${key}" already exists in ${location} and ifNoneMatch was set: choose another name or delete the existing object first`,
            { code: "ERR_ALREADY_EXISTS", cause: error },
          );
        }
        throw s3Error(error, context("write", key));
      } finally {
        putOptions.signal?.removeEventListener("abort", onAbort);
      }
    },

    async get(key: string): Promise<Readable> {
      try {
        const { GetObjectCommand } = await import("./s3-sdk.ts");
        const out = await (await client()).send(new GetObjectCommand({ Bucket: bucket, Key: root + key }));
        const stream = out.Body;
        if (stream instanceof Readable) return stream;
        if (stream && typeof (stream as WebReadableStream).getReader === "function") {
          return Readable.fromWeb(stream as WebReadableStream);
        }
        throw new StoreError(`read "${key}" in ${location}: the response had no body stream`);
      } catch (error) {
        if (isS3NotFound(error)) {
          throw new StoreError(
            `"${key}" does not exist in ${location}: check the key (list the store to see what exists)`,
            {
              code: "ERR_NOT_FOUND",
              cause: error,
            },
          );
        }
        throw s3Error(error, context("read", key));
      }
    },

    async exists(key: string): Promise<boolean> {
      try {
        const { HeadObjectCommand } = await import("./s3-sdk.ts");
        await (await client()).send(new HeadObjectCommand({ Bucket: bucket, Key: root + key }));
        return true;
      } catch (error) {
        if (isS3NotFound(error)) return false;
        throw s3Error(error, context("check", key));
      }
    },

    list(prefix: string): AsyncIterable<string> {
      return listKeys(prefix);
    },

    async listCommonPrefixes(prefix: string, delimiter: string): Promise<string[]> {
      const found = new Set<string>();
      for await (const page of listPages(prefix, delimiter)) {
        for (const p of page.CommonPrefixes ?? []) {
          if (p.Prefix?.startsWith(root)) found.add(p.Prefix.slice(root.length));
        }
      }
      return [...found].sort(compareKeys);
    },

    async delete(key: string): Promise<void> {
      try {
        const { DeleteObjectCommand } = await import("./s3-sdk.ts");
        await (await client()).send(new DeleteObjectCommand({ Bucket: bucket, Key: root + key }));
      } catch (error) {
        if (isS3NotFound(error)) return;
        throw s3Error(error, context("delete", key));
      }
    },

    async signedUrl(key: string, ttlSeconds: number): Promise<string> {
      if (ttlSeconds > 604_800) {
        throw new ConfigError(
          `signed URL for "${key}" in ${location}: ttlSeconds ${ttlSeconds} exceeds S3's maximum of 604800 (7 days); use a shorter ttl`,
        );
      }
      try {
        const { getSignedUrl, GetObjectCommand } = await import("./s3-sdk.ts");
        return await getSignedUrl(
          await presigner(),
          new GetObjectCommand({ Bucket: bucket, Key: root + key }),
          {
            expiresIn: ttlSeconds,
          },
        );
      } catch (error) {
        throw s3Error(error, context("sign a URL for", key));
      }
    },
  });
  createdWith.set(store, options);
  return store;
};

/** The options each store of this process was created with, for restic (which needs the connection). */
const createdWith = new WeakMap<ObjectStore, S3StoreOptions>();

/** The options `store` was created with by {@link s3Store}; undefined for any other store. */
export const s3StoreOptionsOf = (store: ObjectStore): S3StoreOptions | undefined => createdWith.get(store);
