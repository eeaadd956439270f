// Unit test of examples/redact-secret-action.ts with a fixture read from a real backup (Velero
// 1.18.3's `shop-ns` backup, which holds a Secret with a `password` key). Run: npx tsx --test examples/
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Cluster, KubeObject } from "stowage";
import { extractArchive } from "stowage/format";
import { redactSecretKey } from "./redact-secret-action.ts";

// Backups a real Velero 1.18.3 wrote, kept with the repository's tests.
const fixtures = join(import.meta.dirname, "..", "test", "fixtures", "velero-1.18.3");

test("redacts the password of the shop Secret from a real backup, and leaves other keys alone", async () => {
  const name = "shop-ns-20261122031500";
  const archive = await extractArchive(createReadStream(join(fixtures, "backups", name, `${name}.tar.gz`)));
  try {
    const secretRef = [...archive.items()].find((r) => r.groupResource === "secrets");
    assert.ok(secretRef, "the fixture backup has a Secret");
    const secret = (await archive.readItem(secretRef)) as KubeObject;
    const lines: string[] = [];
    const input = {
      item: secret,
      backup: { name: "test", labels: {}, spec: {} },
      log: { info: (m: string) => lines.push(m), warn: () => {}, error: () => {} },
      cluster: {} as Cluster, // not used by this action
      signal: new AbortController().signal,
    };
    const output = await redactSecretKey("password").execute(input);
    const data = (output?.item?.data ?? {}) as Record<string, string>;
    assert.equal(Buffer.from(data.password ?? "", "base64").toString(), "REDACTED");
    for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
      if (key !== "password") assert.equal(data[key], value, `${key} unchanged`);
    }
    assert.deepEqual(lines, ["redacted data.password"]);
    const annotations = output?.item?.metadata?.annotations ?? {};
    assert.equal(
      annotations["kubectl.kubernetes.io/last-applied-configuration"],
      undefined,
      "no plain copy left",
    );
    assert.ok(!JSON.stringify(output?.item).includes("not-a-real-password"));
    assert.equal(annotations["example.io/redacted"], "password");
    // a Secret without that key is left as it is (no output)
    assert.equal(await redactSecretKey("nope").execute(input), undefined);
  } finally {
    await archive.cleanup();
  }
});
