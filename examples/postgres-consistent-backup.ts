// An application-consistent backup of PostgreSQL pods: hooks run in each database pod right before its
// volumes are copied (pre) and right after (post).
//
//   npx tsx examples/postgres-consistent-backup.ts shop app=postgres            # CHECKPOINT + fsfreeze
//   npx tsx examples/postgres-consistent-backup.ts shop app=postgres --online   # pg_backup_start/stop
//
// Uses $KUBECONFIG like kubectl (or the pod's ServiceAccount under the runner) and the store named by
// $STOWAGE_STORE (e.g. s3://backups/prod; restic Jobs need an object store they can reach). The pods'
// data volume is copied file by file with restic (`backup.velero.io/backup-volumes: data` on the pod) by
// a restic Job on the pod's node (`jobDriver`), into the store's `restic/`. Jobs and the repository key
// (the Secret `stowage-repo-credentials`) live in $POD_NAMESPACE under the runner, else `velero`.
//
// Two ways to make the copy consistent:
//
// - default: `CHECKPOINT` flushes everything to the data files, then `fsfreeze` blocks writes to the
//   volume until the post hook thaws it. The copy is what a crash at that instant would leave, right
//   after a checkpoint: PostgreSQL's own crash recovery makes it consistent on start. The container needs
//   the `fsfreeze` binary and the privilege to use it (SYS_ADMIN); without it, drop the freeze and rely on
//   the checkpoint plus crash recovery (WAL must then be on the same volume).
//
// - `--online`: PostgreSQL's backup mode. `pg_backup_start()` and `pg_backup_stop()` must run in ONE
//   session: the non-exclusive backup is aborted when the session that started it ends. Two separate
//   exec hooks (a pre `psql -c "SELECT pg_backup_start(…)"`, a post `psql -c "SELECT pg_backup_stop()"`)
//   therefore never work: each exec is its own psql process and session. Here the pre hook starts one
//   psql session in the background of the container, which calls pg_backup_start, signals it is ready
//   and waits (psql's `\!` runs a shell command inside the session); the post hook tells it to go on,
//   and the same session calls pg_backup_stop and writes the backup label, which this script saves as
//   `<backup>.<pod>.backup_label`. Restoring this copy needs that file in the data directory (as
//   `backup_label`) and the WAL archived during the backup (`archive_mode = on`, `wait_for_archive`).
import { writeFileSync } from "node:fs";
import { backup, connect, jobDriver, type PodHookFunction, storeFromEnv } from "stowage";

const [namespace = "default", selector = "app=postgres"] = process.argv
  .slice(2)
  .filter((a) => !a.startsWith("--"));
const online = process.argv.includes("--online");
/** The data directory inside the database container. */
const pgdata = process.env.PGDATA ?? "/var/lib/postgresql/data";
const psql = ["psql", "-v", "ON_ERROR_STOP=1", "-U", process.env.PGUSER ?? "postgres"];

const cluster = await connect();
const store = storeFromEnv();
const systemNamespace = process.env.POD_NAMESPACE || "velero";
const name = `${namespace}-pg-${new Date()
  .toISOString()
  .replace(/[-:TZ.]/g, "")
  .slice(0, 14)}`;

// default: flush, then freeze writes until the copy is done
const checkpointAndFreeze: PodHookFunction = async ({ exec }) => {
  await exec([...psql, "-c", "CHECKPOINT"]);
  await exec(["fsfreeze", "--freeze", pgdata]);
};
const thaw: PodHookFunction = async ({ exec }) => {
  await exec(["fsfreeze", "--unfreeze", pgdata]);
};

// --online: one psql session held open across the copy (files in /tmp of the container coordinate it)
const sessionScript = [
  "SELECT pg_backup_start('stowage', true);",
  "\\! touch /tmp/stowage-backup-started",
  "\\! while [ ! -e /tmp/stowage-backup-copied ]; do sleep 1; done",
  "\\pset tuples_only on",
  "\\pset format unaligned",
  "\\o /tmp/stowage-backup-label",
  "SELECT labelfile FROM pg_backup_stop(true);",
  "\\o",
  "\\! touch /tmp/stowage-backup-stopped",
].join("\n");
const startBackup: PodHookFunction = async ({ exec }) => {
  await exec(["sh", "-c", "rm -f /tmp/stowage-backup-*"]);
  // setsid + nohup: the session outlives this exec, which returns at once
  await exec([
    "sh",
    "-c",
    `printf '%s\\n' "$0" > /tmp/stowage-backup.sql && setsid nohup ${psql.join(" ")} -f /tmp/stowage-backup.sql > /tmp/stowage-backup.out 2>&1 &`,
    sessionScript,
  ]);
  try {
    await exec(
      [
        "sh",
        "-c",
        "for i in $(seq 120); do [ -e /tmp/stowage-backup-started ] && exit 0; sleep 1; done; cat /tmp/stowage-backup.out >&2; exit 1",
      ],
      { timeoutMs: 150_000 },
    );
  } catch (error) {
    // the pod is not backed up and gets no post hook: let the session end rather than wait forever
    await exec(["touch", "/tmp/stowage-backup-copied"]).catch(() => undefined);
    throw error;
  }
};
const labels = new Map<string, string>();
const stopBackup: PodHookFunction = async ({ pod, exec }) => {
  const { stdout } = await exec(
    [
      "sh",
      "-c",
      "touch /tmp/stowage-backup-copied; for i in $(seq 300); do [ -e /tmp/stowage-backup-stopped ] && cat /tmp/stowage-backup-label && exit 0; sleep 1; done; cat /tmp/stowage-backup.out >&2; exit 1",
    ],
    { timeoutMs: 330_000 },
  );
  labels.set(pod.metadata?.name ?? "", stdout.trim());
};

const result = await backup({
  cluster,
  store,
  name,
  includedNamespaces: [namespace],
  podVolumes: {
    driver: jobDriver({ cluster, namespace: systemNamespace }),
    credentialsNamespace: systemNamespace,
  },
  hooks: {
    resources: [
      {
        name: online ? "postgres-backup-mode" : "postgres-checkpoint-freeze",
        labelSelector: selector,
        pre: [online ? startBackup : checkpointAndFreeze],
        post: [online ? stopBackup : thaw],
      },
    ],
  },
});

for (const [pod, label] of labels) {
  writeFileSync(`${name}.${pod}.backup_label`, `${label}\n`);
  console.log(`backup label of ${pod}: ${name}.${pod}.backup_label`);
}
console.log(
  `${result.name}: ${result.phase}, ${result.counts.itemsBackedUp} items, hooks ${result.hookStatus.hooksAttempted} run / ${result.hookStatus.hooksFailed} failed`,
);
for (const [ns, messages] of Object.entries(result.errors.namespaces ?? {})) {
  for (const message of messages) console.log(`  error in ${ns}: ${message}`);
}
cluster.close();
process.exitCode = result.phase === "Completed" ? 0 : 1;
