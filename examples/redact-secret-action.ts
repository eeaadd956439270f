// A backup item action that redacts one key of every Secret before it is written to the backup:
// the backup keeps the Secret (so a restore recreates it) but never stores the password itself.
// It also drops kubectl's last-applied-configuration annotation, which holds a second, plain copy
// of the data for Secrets created with `kubectl apply` (Velero's own fixture shows one).
//
// Use it from a backup script:
//   import { redactSecretKey } from "./redact-secret-action.ts";
//   await backup({ cluster, store, name, actions: [redactSecretKey("password")] });
//
// Its unit test (examples/redact-secret-action.test.ts) runs it on a Secret read from a real backup.
import type { BackupItemAction } from "stowage";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Replaces `data[key]` of Secrets (in any namespace, or those matching `labelSelector`) with a marker. */
export const redactSecretKey = (key: string, labelSelector?: string): BackupItemAction => ({
  name: "example.io/redact-secret-key",
  appliesTo: { resources: ["secrets"], ...(labelSelector ? { labelSelector } : {}) },
  execute: ({ item, log }) => {
    const data = item.data as Record<string, string> | undefined;
    if (!data || !(key in data)) return; // nothing to redact: keep the item as it is
    log.info(`redacted data.${key}`);
    const { [LAST_APPLIED]: _plainCopy, ...annotations } = item.metadata?.annotations ?? {};
    return {
      item: {
        ...item,
        data: { ...data, [key]: Buffer.from("REDACTED").toString("base64") },
        metadata: { ...item.metadata, annotations: { ...annotations, "example.io/redacted": key } },
      },
    };
  },
});
