// No container engine runs on these machines, so the Dockerfile is checked statically: the VS Code
// Docker language server's validator (dockerfile-utils) for syntax, and hadolint's rules that apply
// here, on dockerfile-ast's parse, plus what the issue asks of the image.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { repoRoot } from "../support/binaries.ts";

const content = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
const dockerfile = DockerfileParser.parse(content);
const instructions = dockerfile.getInstructions();
const froms = dockerfile.getFROMs();
const finalStageStart = froms.at(-1)?.getRange().start.line ?? 0;
const finalStage = instructions.filter((i) => i.getRange().start.line >= finalStageStart);
const args = (i: Instruction) => i.getArgumentsContent() ?? "";
const keyword = (k: string) => (i: Instruction) => i.getKeyword() === k;

describe("Dockerfile", () => {
  test("dockerfile-utils finds no problems", () => {
    const problems = validate(content).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    assert.deepEqual(problems, []);
  });

  test("multi-stage, every base image pinned to a tag (DL3006, DL3007), Node LTS slim at the end", () => {
    assert.ok(froms.length >= 2, "not multi-stage");
    for (const from of froms) {
      assert.ok(from.getImageTag(), `${from.getImage()} has no tag`);
      assert.notEqual(from.getImageTag(), "latest", `${from.getImage()} uses latest`);
    }
    const final = froms.at(-1);
    assert.equal(final?.getImageName(), "node");
    assert.match(final?.getImageTag() ?? "", /^24-.*slim$/);
  });

  test("apt: --no-install-recommends (DL3015) and lists removed in the same layer (DL3009)", () => {
    for (const run of instructions.filter(keyword("RUN"))) {
      if (!/apt-get install/.test(args(run))) continue;
      assert.match(args(run), /--no-install-recommends/);
      assert.match(args(run), /rm -rf \/var\/lib\/apt\/lists/);
    }
  });

  test("COPY not ADD (DL3020); no pipes without pipefail (DL4006)", () => {
    assert.equal(instructions.filter(keyword("ADD")).length, 0);
    const pipefail = instructions.some((i) => i.getKeyword() === "SHELL" && /pipefail/.test(args(i)));
    for (const run of instructions.filter(keyword("RUN"))) {
      if (/[^|]\|[^|]/.test(args(run))) assert.ok(pipefail, `RUN with a pipe and no pipefail: ${args(run)}`);
    }
  });

  test("runs as a non-root user (DL3002), restic included, tini as PID 1, stowage runner by default", () => {
    const user = finalStage.filter(keyword("USER")).at(-1);
    assert.ok(user, "no USER in the final stage");
    assert.doesNotMatch(args(user), /^(root|0)(:|$)/);
    assert.ok(
      finalStage.some((i) => i.getKeyword() === "COPY" && /\/usr\/local\/bin\/restic$/.test(args(i))),
      "restic is not copied into the image",
    );
    const entrypoint = finalStage.filter(keyword("ENTRYPOINT")).at(-1);
    const cmd = finalStage.filter(keyword("CMD")).at(-1);
    assert.ok(entrypoint && cmd);
    // exec (JSON) form, so signals reach the process (DL3025)
    assert.deepEqual(JSON.parse(args(entrypoint)), ["/usr/bin/tini", "--", "node", "/app/lib/cli/bin.js"]);
    assert.deepEqual(JSON.parse(args(cmd)), ["runner"]);
  });
});
