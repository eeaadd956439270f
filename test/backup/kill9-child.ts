/**
 * The backup process test/backup/kill9.test.ts kills: runs one `backup()` against the real apiserver,
 * MinIO (s3Store), moto EBS (native snapshots) and restic (the local driver, on the harness node's
 * kubelet directory), as its config file (argv[2]) says. Prints `ready` just before the backup starts,
 * `event <phase> <items>` for each progress report, and `done <phase>` when it has finished.
 */
import { readFileSync } from "node:fs";
import {
  awsVolumeSnapshotter,
  backup,
  connect,
  registerVolumeSnapshotter,
  type S3StoreOptions,
  s3Store,
  type VolumeSnapshotLocation,
} from "../../lib/index.ts";
import { resticBackend } from "../../lib/podvolume/backend.ts";
import { localDriver } from "../../lib/podvolume/local-driver.ts";

/** What the parent test passes. */
export interface Kill9ChildConfig {
  readonly name: string;
  readonly namespace: string;
  readonly credentialsNamespace: string;
  readonly kubeconfig: string;
  readonly s3: S3StoreOptions;
  readonly location: VolumeSnapshotLocation;
  readonly moto: {
    readonly endpoint: string;
    readonly credentials: { accessKeyId: string; secretAccessKey: string };
  };
  readonly resticPath: string;
  readonly kubeletDir: string;
}

const config = JSON.parse(readFileSync(process.argv[2] ?? "", "utf8")) as Kill9ChildConfig;
registerVolumeSnapshotter(
  "aws",
  awsVolumeSnapshotter({
    endpoint: config.moto.endpoint,
    credentials: config.moto.credentials,
    pollIntervalMs: 50,
  }),
  { replace: true },
);
const cluster = await connect({ kubeconfig: config.kubeconfig });
const store = s3Store(config.s3);
const backend = await resticBackend({ s3: config.s3 });
const driver = localDriver({
  resticPath: config.resticPath,
  kubeletRootDir: config.kubeletDir,
  cacheDir: false,
});
process.stdout.write("ready\n");
const result = await backup({
  cluster,
  store,
  name: config.name,
  includedNamespaces: [config.namespace],
  volumeSnapshotLocations: [config.location],
  podVolumes: { driver, backend, credentialsNamespace: config.credentialsNamespace },
  onProgress: (p) => process.stdout.write(`event ${p.phase} ${p.itemsBackedUp}\n`),
});
process.stdout.write(`done ${result.phase}\n`);
await cluster.close();
process.exit(0);
