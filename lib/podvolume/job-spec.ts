/**
 * The Kubernetes Job that runs one restic command on a node: pure data, built from the command and the
 * repository. The container mounts the pod's `<kubelet>/pods/<uid>/volumes` directory (read-only for a
 * backup, read-write for a restore) at `/host_volumes`, takes the key from the key Secret through
 * `secretKeyRef` and cloud keys from a backend Secret, and reports through its termination message.
 */
import type { KubeObject } from "../kube/types.ts";
import { JOB_SCRIPT } from "./job-script.ts";
import type { KeyRef } from "./keys.ts";

/** Where the pod's volumes directory is mounted in the Job's container. */
export const VOLUMES_MOUNT = "/host_volumes";
/** The container's termination message file (Kubernetes' default path). */
export const TERMINATION_LOG = "/dev/termination-log";

/** Everything one restic Job needs. */
export interface ResticJobInput {
  readonly op: "ensure" | "backup" | "restore";
  /** Namespace the Job runs in (the key Secret and the backend Secret live there). */
  readonly namespace: string;
  readonly image: string;
  /** `spec.nodeName`: the pod's node; unset lets the scheduler choose (for `ensure`). */
  readonly node?: string;
  /** The pod volume: its pod's UID and its directory below the plugin directory. */
  readonly volume?: { readonly podUid: string; readonly volumeDir: string };
  /** The kubelet's root directory on the node. */
  readonly kubeletRootDir: string;
  /** restic's arguments (from the command builders). */
  readonly args: readonly string[];
  /** Non-secret environment (`RESTIC_REPOSITORY`, region). */
  readonly env: Readonly<Record<string, string>>;
  /** The repository key, as a Secret reference. */
  readonly key: KeyRef;
  /** Secret holding the backend's secret variables, each under its own name. */
  readonly backendSecret?: { readonly name: string; readonly keys: readonly string[] };
  /** Restore marker (`.velero/<marker>`). */
  readonly marker?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly activeDeadlineSeconds: number;
  /** Run the container privileged (some volume types need it on SELinux nodes). */
  readonly privileged: boolean;
  readonly imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** Container resources. */
  readonly resources?: Readonly<Record<string, unknown>>;
}

/** The Job object (created with `generateName: stowage-restic-<op>-`). */
export const buildResticJob = (input: ResticJobInput): KubeObject => {
  const env: Array<Record<string, unknown>> = [
    { name: "STOWAGE_OP", value: input.op },
    { name: "STOWAGE_RESULT", value: TERMINATION_LOG },
    ...Object.entries(input.env).map(([name, value]) => ({ name, value })),
    {
      name: "RESTIC_PASSWORD",
      valueFrom: { secretKeyRef: { name: input.key.secretName, key: input.key.secretKey } },
    },
    ...(input.backendSecret?.keys ?? []).map((name) => ({
      name,
      valueFrom: { secretKeyRef: { name: input.backendSecret!.name, key: name } },
    })),
  ];
  const hostVolumes = input.volume
    ? `${input.kubeletRootDir.replace(/\/+$/, "")}/pods/${input.volume.podUid}/volumes`
    : undefined;
  if (input.volume && hostVolumes) {
    env.push(
      { name: "STOWAGE_VOLUMES", value: VOLUMES_MOUNT },
      { name: "STOWAGE_HOST_VOLUMES", value: hostVolumes },
      { name: "STOWAGE_VOLUME_DIR", value: input.volume.volumeDir },
    );
  }
  if (input.marker !== undefined) env.push({ name: "STOWAGE_MARKER", value: input.marker });
  const labels = {
    "app.kubernetes.io/managed-by": "stowage",
    "app.kubernetes.io/component": "restic",
    "stowage.dev/restic-op": input.op,
    ...input.labels,
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { generateName: `stowage-restic-${input.op}-`, namespace: input.namespace, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          ...(input.node ? { nodeName: input.node } : {}),
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          tolerations: [{ operator: "Exists" }],
          containers: [
            {
              name: "restic",
              image: input.image,
              ...(input.imagePullPolicy ? { imagePullPolicy: input.imagePullPolicy } : {}),
              command: ["/bin/sh", "-c", JOB_SCRIPT, "stowage-restic", ...input.args],
              env,
              ...(hostVolumes
                ? {
                    volumeMounts: [
                      { name: "pod-volumes", mountPath: VOLUMES_MOUNT, readOnly: input.op === "backup" },
                    ],
                  }
                : {}),
              terminationMessagePath: TERMINATION_LOG,
              terminationMessagePolicy: "FallbackToLogsOnError",
              securityContext: { runAsUser: 0, runAsGroup: 0, privileged: input.privileged },
              ...(input.resources ? { resources: input.resources } : {}),
            },
          ],
          ...(hostVolumes
            ? { volumes: [{ name: "pod-volumes", hostPath: { path: hostVolumes, type: "Directory" } }] }
            : {}),
        },
      },
    },
  };
};
