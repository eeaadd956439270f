/**
 * Velero's `restore-wait` init container, as Stowage adds it to restored pods whose volumes have file
 * backups: it mounts each such volume at `/restores/<volume>` and waits (polling every second) until the
 * restore has written the marker `/restores/<volume>/.velero/<restore UID>` into every one of them, then
 * removes the `.velero` directories and exits, so the workload's containers start on restored data.
 * Pure: builds the container.
 */
import type { KubeObject } from "../kube/types.ts";

/** The init container's name (Velero's; `restic-wait` was its name before Velero 1.10). */
export const RESTORE_WAIT = "restore-wait";
export const RESTORE_WAIT_LEGACY = "restic-wait";

/** `sh -c RESTORE_WAIT_SCRIPT restore-wait <restore uid> /restores/<v1> /restores/<v2> …` */
export const RESTORE_WAIT_SCRIPT = `uid="$1"; shift
while :; do
  missing=""
  for d in "$@"; do [ -e "$d/.velero/$uid" ] || missing="$missing \${d##*/}"; done
  [ -z "$missing" ] && break
  sleep 1
done
for d in "$@"; do rm -rf "$d/.velero" 2>/dev/null || true; done
echo "restored data is in place for:$(for d in "$@"; do printf ' %s' "\${d##*/}"; done)"
`;

/** Velero's restricted default when neither config nor the pod says how the helper runs. */
const DEFAULT_SECURITY_CONTEXT = {
  runAsUser: 1000,
  runAsGroup: 1000,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

/**
 * The `restore-wait` init container for `volumes` of a restored pod: image `image`, the restore's UID as
 * argument, `POD_NAMESPACE`/`POD_NAME`, 100m CPU and 128Mi memory (requests = limits, Velero's defaults),
 * the security context of the pod's first container, else Velero's restricted default.
 */
export const restoreWaitContainer = (
  pod: KubeObject,
  volumes: readonly string[],
  restoreUid: string,
  image: string,
): Record<string, unknown> => {
  const first = ((pod.spec as { containers?: Array<{ securityContext?: unknown }> } | undefined)
    ?.containers ?? [])[0];
  const resources = { cpu: "100m", memory: "128Mi" };
  return {
    name: RESTORE_WAIT,
    image,
    command: [
      "/bin/sh",
      "-c",
      RESTORE_WAIT_SCRIPT,
      RESTORE_WAIT,
      restoreUid,
      ...volumes.map((v) => `/restores/${v}`),
    ],
    env: [
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    resources: { requests: resources, limits: resources },
    volumeMounts: volumes.map((v) => ({ name: v, mountPath: `/restores/${v}` })),
    securityContext: first?.securityContext ?? DEFAULT_SECURITY_CONTEXT,
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
};

/** `pod` with the `restore-wait` container first and any earlier `restore-wait`/`restic-wait` removed. */
export const withRestoreWait = (
  pod: KubeObject,
  container: Record<string, unknown> | undefined,
): KubeObject => {
  const spec = { ...((pod.spec ?? {}) as Record<string, unknown>) };
  const kept = ((spec.initContainers as Array<{ name?: string }> | undefined) ?? []).filter(
    (c) => c.name !== RESTORE_WAIT && c.name !== RESTORE_WAIT_LEGACY,
  );
  const initContainers = container ? [container, ...kept] : kept;
  if (initContainers.length) spec.initContainers = initContainers;
  else delete spec.initContainers;
  return { ...pod, spec };
};
