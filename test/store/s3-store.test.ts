// s3Store against a real MinIO (test/support/minio.ts): the shared contract plus S3-only behaviour.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { ConfigError, StoreError } from "../../lib/errors.ts";
import { openCatalog } from "../../lib/store/catalog.ts";
import { openLocation } from "../../lib/store/config.ts";
import { getText, listAll, type ObjectStore } from "../../lib/store/object-store.ts";
import { type S3StoreOptions, s3Store } from "../../lib/store/s3-store.ts";
import { type Minio, startMinio } from "../support/minio.ts";
import { freePort } from "../support/processes.ts";
import { VELERO_FIXTURES } from "../support/velero-fixtures.ts";
import { objectStoreContract } from "./store-contract.ts";

const FIXTURES = VELERO_FIXTURES;

let minio: Minio;
let raw: S3Client;
let counter = 0;

before(async () => {
  minio = await startMinio({ buckets: ["contract", "stowage"] });
  raw = new S3Client(minio.clientConfig());
});
after(async () => {
  raw?.destroy();
  await minio?.stop();
});

const storeOptions = (overrides: Partial<S3StoreOptions> = {}): S3StoreOptions => ({
  bucket: "stowage",
  endpoint: minio.endpoint,
  region: minio.region,
  forcePathStyle: true,
  credentials: { accessKeyId: minio.accessKey, secretAccessKey: minio.secretKey },
  ...overrides,
});

const emptyStore = async (store: ObjectStore) => {
  for (const key of await listAll(store, "")) await store.delete(key);
};

objectStoreContract("s3Store on MinIO", async () => {
  const store = s3Store(storeOptions({ bucket: "contract", prefix: `/run-${++counter}-${Date.now()}/` }));
  return { store, cleanup: () => emptyStore(store) };
});

/** `size` random bytes as a stream in 64 KiB chunks, hashing what it yields. */
const randomStream = (size: number) => {
  const hash = createHash("sha256");
  let left = size;
  const stream = Readable.from(
    (function* () {
      while (left > 0) {
        const chunk = randomBytes(Math.min(65536, left));
        left -= chunk.length;
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
  return { stream, digest: () => hash.digest("hex") };
};

const sha256Of = async (stream: Readable) => {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
};

describe("s3Store on MinIO", () => {
  it("streams a 20 MiB upload as multipart and round-trips it byte for byte", async () => {
    const store = s3Store(storeOptions({ prefix: "big" }));
    const { stream, digest } = randomStream(20 * 1024 * 1024);
    await store.put("backups/big/big.tar.gz", stream, { contentType: "application/gzip" });
    const head = await raw.send(
      new HeadObjectCommand({ Bucket: "stowage", Key: "big/backups/big/big.tar.gz" }),
    );
    assert.equal(head.ContentLength, 20 * 1024 * 1024);
    assert.match(head.ETag ?? "", /-3"$/, "8 MiB parts: 3 parts for 20 MiB");
    assert.equal(head.ContentType, "application/gzip");
    assert.equal(await sha256Of(await store.get("backups/big/big.tar.gz")), digest());
    await store.delete("backups/big/big.tar.gz");
  });

  it("ifNoneMatch also holds for a multipart upload, and leaves no parts behind", async () => {
    const store = s3Store(storeOptions({ prefix: "big-cond" }));
    await store.put("k", "original");
    const { stream } = randomStream(12 * 1024 * 1024);
    await assert.rejects(store.put("k", stream, { ifNoneMatch: true }), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.code, "ERR_ALREADY_EXISTS");
      return true;
    });
    assert.equal(await getText(store, "k"), "original");
    const uploads = await raw.send(
      new ListMultipartUploadsCommand({ Bucket: "stowage", Prefix: "big-cond/" }),
    );
    assert.deepEqual(uploads.Uploads ?? [], []);
    await store.delete("k");
  });

  it("keeps keys under its prefix and lists relative to it", async () => {
    const a = s3Store(storeOptions({ prefix: "tenants/a" }));
    const b = s3Store(storeOptions({ prefix: "/tenants/b/" }));
    await a.put("backups/b1/velero-backup.json", "a");
    await b.put("backups/b2/velero-backup.json", "b");
    const all = await raw.send(new ListObjectsV2Command({ Bucket: "stowage", Prefix: "tenants/" }));
    assert.deepEqual(all.Contents?.map((o) => o.Key).sort(), [
      "tenants/a/backups/b1/velero-backup.json",
      "tenants/b/backups/b2/velero-backup.json",
    ]);
    assert.deepEqual(await a.listCommonPrefixes("", "/"), ["backups/"]);
    assert.deepEqual(await a.listCommonPrefixes("backups/", "/"), ["backups/b1/"]);
    assert.deepEqual(await listAll(b, ""), ["backups/b2/velero-backup.json"]);
    assert.equal(a.location, `s3://stowage/tenants/a (endpoint ${minio.endpoint})`);
    await emptyStore(a);
    await emptyStore(b);
  });

  it("paginates listings beyond one page (1000 keys)", async () => {
    const store = s3Store(storeOptions({ prefix: "many" }));
    const keys = Array.from(
      { length: 1005 },
      (_, i) => `backups/b${String(i).padStart(4, "0")}/velero-backup.json`,
    );
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, "{}")));
    assert.equal((await listAll(store, "backups/")).length, 1005);
    const prefixes = await store.listCommonPrefixes("backups/", "/");
    assert.equal(prefixes.length, 1005);
    assert.equal(prefixes[1004], "backups/b1004/");
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => store.delete(k)));
  });

  it("signs GET URLs that plain fetch can download, until they expire", async () => {
    const store = s3Store(storeOptions({ prefix: "signed" }));
    await store.put("backups/b1/b1-logs.gz", "signed content");
    const url = await store.signedUrl("backups/b1/b1-logs.gz", 600);
    assert.ok(url.startsWith(`${minio.endpoint}/stowage/signed/backups/b1/b1-logs.gz?`), url);
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "signed content");
    const shortLived = await store.signedUrl("backups/b1/b1-logs.gz", 1);
    await sleep(2100);
    assert.equal((await fetch(shortLived)).status, 403);
    await assert.rejects(store.signedUrl("backups/b1/b1-logs.gz", 604_801), ConfigError);
    await store.delete("backups/b1/b1-logs.gz");
  });

  it("wrong credentials give a StoreError saying to check credentials, without the secret", async () => {
    const secret = "this-secret-must-not-leak";
    for (const credentials of [
      { accessKeyId: minio.accessKey, secretAccessKey: secret },
      { accessKeyId: "nobody-knows-me", secretAccessKey: secret },
    ]) {
      const store = s3Store(storeOptions({ credentials }));
      for (const op of [
        () => store.put("k", "x"),
        () => store.listCommonPrefixes("backups/", "/"),
        () => store.get("k"),
      ]) {
        await assert.rejects(op(), (error: unknown) => {
          assert.ok(error instanceof StoreError, String(error));
          assert.equal(error.code, "ERR_STORE");
          assert.match(
            error.message,
            /access denied by http:\/\/127\.0\.0\.1:\d+ \((SignatureDoesNotMatch|InvalidAccessKeyId)/,
          );
          assert.match(error.message, /check credentials: AWS_ACCESS_KEY_ID/);
          assert.ok(!error.message.includes(secret));
          return true;
        });
      }
    }
  });

  it("a missing bucket gives a StoreError saying to create it", async () => {
    const store = s3Store(storeOptions({ bucket: "no-such-bucket" }));
    for (const op of [
      () => store.put("k", "x"),
      () => store.listCommonPrefixes("backups/", "/"),
      () => store.get("k"),
    ]) {
      await assert.rejects(op(), (error: unknown) => {
        assert.ok(error instanceof StoreError, String(error));
        assert.match(
          error.message,
          /bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+: create the bucket/,
        );
        return true;
      });
    }
  });

  it("an unreachable endpoint gives a StoreError asking whether it is reachable", async () => {
    const port = await freePort();
    const store = s3Store(storeOptions({ endpoint: `http://user:pass@127.0.0.1:${port}` }));
    await assert.rejects(store.listCommonPrefixes("backups/", "/"), (error: unknown) => {
      assert.ok(error instanceof StoreError, String(error));
      assert.match(
        error.message,
        /cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the endpoint reachable\?/,
      );
      assert.ok(!error.message.includes("pass"), "endpoint credentials are redacted");
      return true;
    });
    assert.ok(!store.location.includes("pass"));
  });

  it("honours AWS_ENDPOINT_URL_S3 when endpoint is undefined, and defaults the region for custom endpoints", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = minio.endpoint;
    try {
      const { endpoint: _e, region: _r, ...rest } = storeOptions({ prefix: "env" });
      const store = s3Store({ ...rest, endpoint: undefined } as unknown as S3StoreOptions);
      await store.put("k", "via env");
      assert.equal(await getText(store, "k"), "via env");
      await store.delete("k");
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
      else process.env.AWS_ENDPOINT_URL_S3 = saved;
    }
  });

  it("says where to set credentials and region when none are configured", async () => {
    const names = [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "AWS_SESSION_TOKEN",
      "AWS_PROFILE",
      "AWS_REGION",
      "AWS_DEFAULT_REGION",
      "AWS_SHARED_CREDENTIALS_FILE",
      "AWS_CONFIG_FILE",
      "AWS_EC2_METADATA_DISABLED",
      "AWS_WEB_IDENTITY_TOKEN_FILE",
      "AWS_CONTAINER_CREDENTIALS_FULL_URI",
      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] as const;
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    for (const n of names) delete process.env[n];
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
      AWS_CONFIG_FILE: "/nonexistent/config",
      AWS_EC2_METADATA_DISABLED: "true",
    });
    try {
      const noCredentials = s3Store({ bucket: "stowage", endpoint: minio.endpoint, forcePathStyle: true });
      await assert.rejects(noCredentials.exists("k"), {
        name: "StoreError",
        message: /no AWS credentials found .*: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE/,
      });
      const noRegion = s3Store({
        bucket: "stowage",
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
      });
      await assert.rejects(noRegion.exists("k"), {
        name: "ConfigError",
        message: /no AWS region configured: set `region` \(config.region for a location\) or AWS_REGION/,
      });
    } finally {
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  });

  it("validates its options", () => {
    assert.throws(
      () => s3Store(storeOptions({ bucket: "a/b" })),
      /must not contain a '\/': if using a prefix, put it in `prefix`/,
    );
    assert.throws(() => s3Store(storeOptions({ bucket: "" })), ConfigError);
    assert.throws(() => s3Store(storeOptions({ partSize: 1024 })), /at least 5242880 bytes/);
    assert.throws(() => s3Store(storeOptions({ endpoint: "not a url" })), /to be a URL/);
    assert.doesNotThrow(() => s3Store(storeOptions({ bucket: "/trimmed/" })));
  });
});

describe("velero.io/aws locations on MinIO", () => {
  it("opens an aws location with s3Url, s3ForcePathStyle and a credentialsFile + profile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stowage-creds-"));
    try {
      const file = join(dir, "cloud");
      writeFileSync(
        file,
        `[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[stowage]\naws_access_key_id = ${minio.accessKey}\naws_secret_access_key = ${minio.secretKey}\n`,
      );
      const store = openLocation({
        provider: "aws",
        bucket: "stowage",
        prefix: "/velero/",
        config: {
          region: "us-east-1",
          s3Url: minio.endpoint,
          s3ForcePathStyle: "true",
          credentialsFile: file,
          profile: "stowage",
          checksumAlgorithm: "",
        },
      });
      await store.put("backups/b1/velero-backup.json", "{}");
      assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), ["backups/b1/"]);
      const head = await raw.send(
        new HeadObjectCommand({ Bucket: "stowage", Key: "velero/backups/b1/velero-backup.json" }),
      );
      assert.equal(head.ContentLength, 2);
      await store.delete("backups/b1/velero-backup.json");

      const missingProfile = openLocation({
        provider: "velero.io/aws",
        bucket: "stowage",
        config: { s3Url: minio.endpoint, s3ForcePathStyle: "true", credentialsFile: file, profile: "nope" },
      });
      await assert.rejects(
        missingProfile.exists("k"),
        /no profile "nope"; profiles found: \[default, stowage\]/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a checksumAlgorithm is sent and accepted by MinIO", async () => {
    const store = openLocation({
      provider: "aws",
      bucket: "stowage",
      prefix: "crc",
      config: {
        region: "us-east-1",
        s3Url: minio.endpoint,
        s3ForcePathStyle: "true",
        checksumAlgorithm: "CRC32",
      },
    });
    // credentials come from the standard chain: give it the MinIO keys through the environment
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = minio.accessKey;
    process.env.AWS_SECRET_ACCESS_KEY = minio.secretKey;
    try {
      await store.put("k", "checksummed");
      assert.equal(await getText(store, "k"), "checksummed");
      await store.delete("k");
    } finally {
      for (const [name, value] of [
        ["AWS_ACCESS_KEY_ID", saved.id],
        ["AWS_SECRET_ACCESS_KEY", saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("the catalog reads Velero's backups from S3 as from a directory", async () => {
    const store = s3Store(storeOptions({ prefix: "catalog" }));
    for (const name of readdirSync(join(FIXTURES, "backups"))) {
      for (const file of readdirSync(join(FIXTURES, "backups", name))) {
        await store.put(`backups/${name}/${file}`, readFileSync(join(FIXTURES, "backups", name, file)));
      }
    }
    const catalog = openCatalog(store);
    assert.deepEqual(await catalog.backupNames(), ["shop-nightly-20261122030000", "shop-ns-20261122031500"]);
    assert.equal((await catalog.getBackupMetadata("shop-ns-20261122031500")).status?.phase, "Completed");
    assert.deepEqual(await catalog.findUnknownTopLevelDirs(), []);
    const { deleted } = await catalog.deleteBackupKeys("shop-ns-20261122031500");
    assert.equal(deleted[0], "backups/shop-ns-20261122031500/velero-backup.json");
    assert.deepEqual(await catalog.backupNames(), ["shop-nightly-20261122030000"]);
    await emptyStore(store);
  });
});
