import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "../../lib/index.ts";
import { JOB_RUN_LABEL, jobDriver } from "../../lib/podvolume/job-driver.ts";
import { createRepositoryOpener } from "../../lib/podvolume/repository.ts";
import { onCleanup } from "../support/cleanup.ts";
import { startLossyProxy } from "../support/flaky-proxy.ts";
import { connectTest, makeNamespace } from "../support/kube.ts";
import { harnessNode, IMAGE, tempS3Location } from "./support.ts";

describe("restic Job whose create answer is lost", () => {
  it("creates exactly one Job (generateName) and uses it (harness plays the node)", async () => {
    const admin = await connectTest();
    const system = await makeNamespace(admin, "lostjob-system");
    const app = await makeNamespace(admin, "lostjob-app");
    const node = await harnessNode(admin);
    const { backend } = await tempS3Location();
    const jobsPath = `/apis/batch/v1/namespaces/${system}/jobs`;
    const secretsPath = `/api/v1/namespaces/${system}/secrets`;
    // the first Job create's answer is lost, and so is every Secret create's (the repository key and
    // the backend's credentials): each is read back instead of failing or being made twice
    let jobLost = false;
    const { kubeconfig, seen } = await startLossyProxy((req) => {
      const url = req.url ?? "";
      if (req.method !== "POST") return "forward";
      if (url.startsWith(secretsPath)) return "lose-response";
      if (!url.startsWith(jobsPath) || jobLost) return "forward";
      jobLost = true;
      return "lose-response";
    });
    const cluster = await connect({ kubeconfig, retry: { baseDelayMs: 20 } });
    onCleanup(() => cluster.close());
    const driver = jobDriver({
      cluster,
      namespace: system,
      image: IMAGE,
      pollIntervalMs: 200,
      timeoutMs: 120_000,
      keepJobs: true,
    });
    const opener = createRepositoryOpener({
      cluster,
      backend,
      driver,
      credentialsNamespace: system,
      create: true,
    });

    const repository = await opener.open(app, node.name);
    assert.equal(repository.address.url.endsWith(`/velero/restic/${app}`), true);

    const posts = seen.filter((s) => s.method === "POST" && s.url.startsWith(jobsPath));
    assert.deepEqual(
      posts.map((s) => [s.plan, s.status]),
      [["lose-response", 201]],
      "the Job was created by the apiserver, its answer lost, and the create not repeated",
    );
    const secretPosts = seen.filter((s) => s.method === "POST" && s.url.startsWith(secretsPath));
    assert.ok(secretPosts.length > 0, "the key Secret was created through the proxy");
    assert.deepEqual(
      secretPosts.map((s) => s.status),
      secretPosts.map(() => 201),
      "every Secret create was committed once and never repeated",
    );
    const jobs = await admin.list("jobs.batch", { namespace: system });
    assert.equal(jobs.length, 1, `one Job, found ${jobs.map((j) => j.metadata?.name).join(", ")}`);
    const job = jobs[0]!;
    assert.match(job.metadata?.name ?? "", /^stowage-restic-ensure-/);
    assert.ok(job.metadata?.labels?.[JOB_RUN_LABEL], "the Job carries its run label");
    const complete = (job.status as { conditions?: { type: string; status: string }[] } | undefined)
      ?.conditions;
    assert.ok(
      complete?.some((c) => c.type === "Complete" && c.status === "True"),
      "the adopted Job ran to completion and its outcome was used",
    );
  });
});
