/**
 * `stowage run SCRIPT [ARGS...]`: runs a Stowage script (TypeScript or JavaScript) with tsx in a child
 * Node process, with the CLI's resolved settings in its environment so the script's `connect()` and
 * a nested `stowage` see the same cluster and store. The script's exit code is the command's.
 */
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandSpec } from "../command.ts";
import { CliError } from "../errors.ts";
import { resolveList, type Settings } from "../settings.ts";
import { storeEnvironment } from "../stores.ts";

/** Signal numbers for the 128+n exit code of a script killed by a signal. */
const SIGNALS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
};

/** The variables a script gets: the resolved kubeconfig, context, store and config file. */
export const scriptEnvironment = async (settings: Settings): Promise<Record<string, string>> => {
  const env: Record<string, string> = { STOWAGE_CONFIG: settings.configFile };
  const kubeconfig = await settings.kubeconfig();
  if (kubeconfig !== undefined) {
    // connect() reads KUBECONFIG; STOWAGE_KUBECONFIG keeps a nested `stowage` on the same file
    env.KUBECONFIG = resolveList(kubeconfig);
    env.STOWAGE_KUBECONFIG = env.KUBECONFIG;
  }
  const context = await settings.context();
  if (context !== undefined) env.STOWAGE_CONTEXT = context;
  const { target } = await settings.storeTarget();
  const store = storeEnvironment(target);
  if (store.STOWAGE_STORE !== undefined && target.kind === "directory")
    store.STOWAGE_STORE = resolve(store.STOWAGE_STORE);
  Object.assign(env, store);
  // s3Store() in the script reads the AWS variables
  if (store.STOWAGE_S3_ENDPOINT) env.AWS_ENDPOINT_URL_S3 = store.STOWAGE_S3_ENDPOINT;
  if (store.STOWAGE_REGION) env.AWS_REGION = store.STOWAGE_REGION;
  return env;
};

/** `stowage run`. */
export const runScript: CommandSpec = {
  path: ["run"],
  summary: "Run a Stowage script with the CLI's settings",
  description: `Runs SCRIPT (.ts, .mts, .js) with tsx in a new Node process; arguments after SCRIPT go to the script.
The script's environment gets KUBECONFIG / STOWAGE_KUBECONFIG, STOWAGE_CONTEXT, STOWAGE_STORE,
STOWAGE_S3_ENDPOINT / AWS_ENDPOINT_URL_S3, STOWAGE_REGION / AWS_REGION and STOWAGE_CONFIG from the
resolved settings, so connect() talks to the same cluster. Its exit code is passed through.
(connect() reads KUBECONFIG; a script picks the context with connect({ context: process.env.STOWAGE_CONTEXT }).)`,
  args: { usage: "SCRIPT [ARGS...]", min: 1, max: Number.POSITIVE_INFINITY },
  flags: [],
  passThrough: true,
  examples: ["stowage --kubeconfig ~/.kube/prod run nightly.ts --dry-run"],
  async run({ args, settings, env }) {
    const [script = "", ...scriptArgs] = args;
    const file = resolve(script);
    await access(file).catch(() => {
      throw new CliError(`script ${file} does not exist: pass the path of a .ts or .js file`);
    });
    const tsx = import.meta.resolve("tsx");
    const child = spawn(process.execPath, ["--import", tsx, file, ...scriptArgs], {
      stdio: "inherit",
      env: { ...env, ...(await scriptEnvironment(settings)) },
    });
    // the terminal sends Ctrl-C to the script too; wait for it to decide its exit code
    const ignore = () => {};
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", ignore);
    process.on("SIGTERM", onTerm);
    try {
      return await new Promise<number>((done, fail) => {
        child.once("error", (error) =>
          fail(new CliError(`cannot start node for ${file}: ${error.message}`, { cause: error })),
        );
        child.once("exit", (code, signal) => done(code ?? 128 + (SIGNALS[signal ?? ""] ?? 1)));
      });
    } finally {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", onTerm);
    }
  },
};
