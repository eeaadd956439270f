import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (test/support/../..). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export type Component =
  | "KUBE_APISERVER"
  | "KUBE_CONTROLLER_MANAGER"
  | "KUBECTL"
  | "ETCD"
  | "MINIO"
  | "RESTIC"
  | "MOTO_SERVER"
  | "GO_TAR_READER"
  | "KUBELET_STREAMING";

const DISPLAY: Record<Component, string> = {
  KUBE_APISERVER: "kube-apiserver",
  KUBE_CONTROLLER_MANAGER: "kube-controller-manager",
  KUBECTL: "kubectl",
  ETCD: "etcd",
  MINIO: "MinIO",
  RESTIC: "restic",
  MOTO_SERVER: "moto server",
  GO_TAR_READER: "go-tar-reader (Go's gzip + tar readers)",
  KUBELET_STREAMING: "kubelet-streaming (the harness node's exec endpoint)",
};

let cached: Record<string, string> | undefined;

/** Paths of the cached components, as `scripts/setup --print-env` reports them (nothing is built). */
export const componentPaths = (): Record<Component, string> => {
  if (!cached) {
    const out = execFileSync("bash", [join(repoRoot, "scripts", "setup"), "--print-env"], {
      encoding: "utf8",
    });
    cached = Object.fromEntries(
      out
        .trim()
        .split("\n")
        .map((line) => {
          const eq = line.indexOf("=");
          return [line.slice(0, eq), line.slice(eq + 1)];
        }),
    );
  }
  return cached as Record<Component, string>;
};

/**
 * The path of a component's binary; throws (so the calling test FAILS, never skips) with the exact
 * command that builds it when it is missing.
 */
export const requireBinary = (component: Component): string => {
  const path = componentPaths()[component];
  if (!path || !existsSync(path)) {
    throw new Error(
      `${DISPLAY[component]} not found at ${path}: run \`npm run setup\` (scripts/setup builds and caches it; set STOWAGE_CACHE to use another cache)`,
    );
  }
  return path;
};
