import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterEach, describe, it } from "node:test";
import { ConfigError, StoreError } from "../../lib/errors.ts";
import { AWS_CONFIG_KEYS, awsStoreOptions } from "../../lib/store/aws-provider.ts";
import { openLocation, resolveLocation } from "../../lib/store/config.ts";
import { commonPrefixesOf, compareKeys } from "../../lib/store/keys.ts";
import {
  getText,
  isInMemoryBody,
  listAll,
  type ObjectStore,
  toBuffer,
} from "../../lib/store/object-store.ts";
import {
  listObjectStoreProviders,
  type ResolvedLocation,
  registerObjectStoreProvider,
  unregisterObjectStoreProvider,
} from "../../lib/store/providers.ts";

/** A minimal in-memory store, as a user would write one for `example.io/mem`. */
const memStore = (name: string): ObjectStore => {
  const objects = new Map<string, Buffer>();
  const sorted = () => [...objects.keys()].sort(compareKeys);
  return {
    location: `mem://${name}`,
    async put(key, body, options = {}) {
      const data = isInMemoryBody(body) ? toBuffer(body) : await buffer(body);
      if (options.ifNoneMatch && objects.has(key)) {
        throw new StoreError(`"${key}" already exists`, { code: "ERR_ALREADY_EXISTS" });
      }
      objects.set(key, data);
    },
    async get(key) {
      const data = objects.get(key);
      if (!data) throw new StoreError(`"${key}" does not exist`, { code: "ERR_NOT_FOUND" });
      return Readable.from([data]);
    },
    exists: async (key) => objects.has(key),
    async *list(prefix) {
      for (const key of sorted()) if (key.startsWith(prefix)) yield key;
    },
    listCommonPrefixes: async (prefix, delimiter) => commonPrefixesOf(sorted(), prefix, delimiter),
    async delete(key) {
      objects.delete(key);
    },
    signedUrl: async (key) => `mem://${name}/${key}`,
  };
};

const AWS_VALID =
  "[region, s3Url, publicUrl, kmsKeyId, customerKeyEncryptionFile, customerKeyEncryptionSecret, s3ForcePathStyle, signatureVersion, credentialsFile, profile, serverSideEncryption, insecureSkipTLSVerify, enableSharedConfig, tagging, checksumAlgorithm, bucket, prefix, caCert]";

describe("object store providers", () => {
  afterEach(() => {
    unregisterObjectStoreProvider("example.io/mem");
  });

  it("has the built-ins under velero.io/, reachable by their bare names", () => {
    assert.deepEqual(listObjectStoreProviders(), ["velero.io/aws", "velero.io/file"]);
    assert.equal(resolveLocation({ provider: "aws", bucket: "b" }).provider, "velero.io/aws");
    assert.equal(
      resolveLocation({ provider: "velero.io/file", bucket: "/tmp/x" }).provider,
      "velero.io/file",
    );
  });

  it("refuses unknown config keys with Velero's message shape", () => {
    assert.throws(
      () => openLocation({ provider: "aws", bucket: "b", config: { region: "x", foo: "1", bogus: "2" } }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, "ERR_CONFIG");
        assert.equal(error.message, `velero.io/aws: invalid keys [bogus, foo]; valid keys are ${AWS_VALID}`);
        return true;
      },
    );
    assert.throws(() => openLocation({ provider: "file", bucket: "/tmp/x", config: { region: "x" } }), {
      message: "velero.io/file: invalid keys [region]; valid keys are [bucket, prefix, caCert]",
    });
    // bucket, prefix and caCert are always allowed
    assert.doesNotThrow(() =>
      resolveLocation({ provider: "aws", bucket: "b", config: { bucket: "b", prefix: "p", caCert: "" } }),
    );
  });

  it("lists the registered providers when the provider is unknown", () => {
    assert.throws(() => openLocation({ provider: "gcp", bucket: "b" }), {
      message:
        'backup location: unknown provider "gcp" (resolved to "velero.io/gcp"); registered providers are [velero.io/aws, velero.io/file]: use one of them, or call registerObjectStoreProvider("velero.io/gcp", …) first',
    });
  });

  it("registers a custom provider under example.io/mem, with its own valid keys", async () => {
    const created: ResolvedLocation[] = [];
    const full = registerObjectStoreProvider("example.io/mem", {
      validKeys: ["color"],
      create: (location) => {
        created.push(location);
        return memStore(`${location.bucket}/${location.prefix}`);
      },
    });
    assert.equal(full, "example.io/mem");
    assert.deepEqual(listObjectStoreProviders(), ["example.io/mem", "velero.io/aws", "velero.io/file"]);
    const store = openLocation({
      provider: "example.io/mem",
      bucket: "bkt",
      prefix: "/p/",
      config: { color: "blue" },
    });
    assert.deepEqual(created, [
      {
        provider: "example.io/mem",
        bucket: "bkt",
        prefix: "p",
        config: { color: "blue" },
        caCert: undefined,
      },
    ]);
    await store.put("backups/b1/velero-backup.json", "{}");
    assert.deepEqual(await store.listCommonPrefixes("backups/", "/"), ["backups/b1/"]);
    assert.equal(await getText(store, "backups/b1/velero-backup.json"), "{}");
    assert.throws(
      () => openLocation({ provider: "example.io/mem", bucket: "b", config: { colour: "red" } }),
      {
        message: "example.io/mem: invalid keys [colour]; valid keys are [color, bucket, prefix, caCert]",
      },
    );
    assert.throws(
      () => registerObjectStoreProvider("example.io/mem", { validKeys: [], create: () => memStore("x") }),
      /already registered: pass \{ replace: true \}/,
    );
    registerObjectStoreProvider(
      "example.io/mem",
      { validKeys: [], create: () => memStore("y") },
      { replace: true },
    );
    assert.equal(openLocation({ provider: "example.io/mem", bucket: "b" }).location, "mem://y");
  });

  it("refuses provider names that are not <dns-subdomain>/<name>", () => {
    const provider = { validKeys: [], create: () => memStore("x") };
    for (const bad of ["Example.IO/mem", "a/b/c", "/mem", "example.io/", "exa mple.io/mem", ""]) {
      assert.throws(() => registerObjectStoreProvider(bad, provider), ConfigError, bad);
    }
    assert.throws(
      () => registerObjectStoreProvider("example.io/bad", { validKeys: "x" } as never),
      /expected \{ validKeys: string\[\], create\(location\) \}/,
    );
  });

  it("validates the location's shape", () => {
    assert.throws(
      () => openLocation({ provider: "aws", bucket: "" }),
      /expected `bucket` to be a non-empty string/,
    );
    assert.throws(
      () =>
        openLocation({
          provider: "aws",
          bucket: "b",
          config: { s3ForcePathStyle: true as unknown as string },
        }),
      /config.s3ForcePathStyle must be a string .*: write it as "true"/,
    );
    assert.throws(() => openLocation({ provider: "aws", bucket: "b/c" }), /must not contain a '\/'/);
  });

  it("maps Velero's AWS config to s3Store options", () => {
    const loc = (config: Record<string, string>, caCert?: string) =>
      resolveLocation({ provider: "aws", bucket: "bkt", prefix: "p", config, ...(caCert ? { caCert } : {}) });
    assert.deepEqual(
      awsStoreOptions(
        loc({
          region: "eu-west-1",
          s3Url: "http://minio:9000",
          publicUrl: "https://public.example.com",
          s3ForcePathStyle: "true",
          profile: "backup",
          credentialsFile: "/creds/cloud",
          insecureSkipTLSVerify: "False",
          checksumAlgorithm: "CRC32C",
          kmsKeyId: "alias/velero",
          tagging: "a=b",
          enableSharedConfig: "true",
        }),
      ),
      {
        bucket: "bkt",
        prefix: "p",
        region: "eu-west-1",
        endpoint: "http://minio:9000",
        publicEndpoint: "https://public.example.com",
        forcePathStyle: true,
        profile: "backup",
        credentialsFile: "/creds/cloud",
        insecureSkipTLSVerify: false,
        checksumAlgorithm: "CRC32C",
        kmsKeyId: "alias/velero",
        tagging: "a=b",
      },
    );
    assert.equal(awsStoreOptions(loc({}, "PEM")).caCert, "PEM");
    assert.equal(awsStoreOptions(loc({ caCert: "PEM2" })).caCert, "PEM2");
    assert.throws(() => awsStoreOptions(loc({ s3ForcePathStyle: "yes" })), {
      message: 'velero.io/aws: could not parse s3ForcePathStyle "yes": expected a bool ("true" or "false")',
    });
    assert.throws(
      () => awsStoreOptions(loc({ checksumAlgorithm: "MD5" })),
      /invalid checksumAlgorithm "MD5"/,
    );
    assert.throws(
      () => awsStoreOptions(loc({ customerKeyEncryptionFile: "/k" })),
      /SSE-C\) is not supported/,
    );
    assert.throws(() => awsStoreOptions(loc({ signatureVersion: "1" })), /SigV2/);
    assert.equal(AWS_CONFIG_KEYS.length, 15);
  });

  it("opens file locations as directory stores, prefix as a subdirectory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stowage-file-loc-"));
    try {
      const store = openLocation({ provider: "file", bucket: dir, prefix: "team-a/" });
      assert.equal(store.location, `file://${dir}/team-a`);
      await store.put("backups/b1/velero-backup.json", "{}");
      assert.deepEqual(await listAll(openLocation({ provider: "file", bucket: dir }), ""), [
        "team-a/backups/b1/velero-backup.json",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
