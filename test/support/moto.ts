import { requireBinary } from "./binaries.ts";
import { freePort, type Started, type Supervisor, waitUntil } from "./processes.ts";

/** A running moto server (EC2/EBS and friends) on a loopback port. */
export interface Moto {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly region: string;
  /** moto accepts any credentials; these are what tests pass. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly process: Started;
  /** Drops all of moto's state. */
  reset(): Promise<void>;
}

/** Starts moto_server from the cached virtualenv and waits until it answers. */
export const startMoto = async (supervisor: Supervisor): Promise<Moto> => {
  const bin = requireBinary("MOTO_SERVER");
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = supervisor.start("moto", bin, ["-H", "127.0.0.1", "-p", String(port)]);
  await waitUntil("moto server", async () => (await fetch(`${endpoint}/moto-api/`)).ok, {
    process: proc,
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  return {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    process: proc,
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
    },
  };
};
