/**
 * The real tslab kernel (the kit's kernel spec, patched tslab), driven by
 * Jupyter's own client library as a front end drives it:
 * - interrupting a cell prints one line, "interrupted", not Node's stack trace
 *   ending in ERR_SCRIPT_EXECUTION_INTERRUPTED (synchronous loop and pending
 *   top-level await), and the kernel keeps working;
 * - a notebook opened outside the kit: the setup cell that cannot find
 *   @course-kit/lib says so once, with how to open the notebook inside the
 *   kit; later cells say only that they did not run (not "Cannot find name
 *   'test' … @types/jest"), while cells that need nothing from the kit run;
 * - the request being executed is visible to display code (lastExecuteRequest),
 *   which the plots use to keep one copy of plotly.js in the notebook.
 *
 * Needs Debian's python3-jupyter-client (/usr/bin/python3). Skipped with a
 * logged reason when missing, unless COURSE_KIT_REQUIRE_E2E=1.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { installKernelSpec, jupyterEnv, KERNEL_NAME, projectRoot } from '../src/notebook/kernelspec';

const PYTHON = '/usr/bin/python3';
const required = process.env.COURSE_KIT_REQUIRE_E2E === '1';
const available = spawnSync(PYTHON, ['-c', 'import jupyter_client'], { stdio: 'ignore' }).status === 0;

if (!available) {
  const reason = `e2e-tslab-kernel: ${PYTHON} with jupyter_client (Debian python3-jupyter-client) not installed`;
  if (required) {
    describe('the tslab kernel', () => {
      it('has its tools (COURSE_KIT_REQUIRE_E2E=1)', () => {
        throw new Error(`${reason}; install it (see .ci/run) or unset COURSE_KIT_REQUIRE_E2E`);
      });
    });
  } else {
    console.warn(`${reason}: skipping (set COURSE_KIT_REQUIRE_E2E=1 to make this a failure)`);
  }
}

/** One cell to execute; `interruptAfter` seconds later the client interrupts the kernel. */
interface Step {
  code: string;
  interruptAfter?: number;
}

interface StepResult {
  stdout: string;
  stderr: string;
  status: string;
}

/** Runs the steps in one kernel started in `cwd`; prints one JSON array of results. */
const DRIVER = `
import json, sys, time
from jupyter_client.manager import start_new_kernel

kernel, cwd, steps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
km, kc = start_new_kernel(kernel_name=kernel, cwd=cwd, startup_timeout=120)
results = []
try:
    for step in steps:
        msg_id = kc.execute(step["code"])
        if step.get("interruptAfter") is not None:
            time.sleep(step["interruptAfter"])
            km.interrupt_kernel()
        out = {"stdout": "", "stderr": "", "status": None}
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out[msg["content"]["name"]] += msg["content"]["text"]
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        while True:
            reply = kc.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        out["status"] = reply["content"]["status"]
        results.append(out)
        time.sleep(0.4)  # tslab drops requests that arrive within 200 ms after an error
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(results))
`;

function runKernel(cwd: string, steps: Step[], state: string): StepResult[] {
  const env = { ...jupyterEnv(installKernelSpec(projectRoot())), JUPYTER_RUNTIME_DIR: join(state, 'runtime'), HOME: state };
  const r = spawnSync(PYTHON, ['-c', DRIVER, KERNEL_NAME, cwd, JSON.stringify(steps)], { env, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`kernel driver failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as StepResult[];
}

describe.runIf(available)('the tslab kernel (patched)', () => {
  const state = mkdtempSync(join(tmpdir(), 'tslab-kernel-'));
  afterAll(() => rmSync(state, { recursive: true, force: true }));

  it('prints "interrupted" for an interrupted cell, sync or async, and keeps working', () => {
    const notebooks = resolve(__dirname, '../../notebooks');
    const [declare, sync, next, pending, last, request] = runKernel(
      notebooks,
      [
        { code: 'let spins = 0;' },
        { code: 'while (true) { spins++; }', interruptAfter: 3 },
        { code: 'console.log("after", spins > 0);' },
        { code: 'await new Promise(() => undefined);', interruptAfter: 2 },
        { code: 'console.log(1 + 1);' },
        { code: 'console.log(JSON.stringify(require("tslab/dist/jupyter").lastExecuteRequest.code));' },
      ],
      state,
    );
    expect(declare!.status).toBe('ok');
    expect(sync).toEqual({ stdout: '', stderr: 'interrupted\n', status: 'error' });
    expect(next).toEqual({ stdout: 'after true\n', stderr: '', status: 'ok' });
    expect(pending).toEqual({ stdout: '', stderr: 'interrupted\n', status: 'error' });
    expect(last).toEqual({ stdout: '2\n', stderr: '', status: 'ok' });
    expect(request!.stdout).toContain('lastExecuteRequest.code');
  }, 300_000);

  it('outside the kit: one clear message at the setup cell, no misleading errors after it', () => {
    const outside = mkdtempSync(join(tmpdir(), 'outside-kit-'));
    try {
      const [setup, later, plain] = runKernel(
        outside,
        [
          { code: 'import { test, check } from "@course-kit/lib";' },
          { code: 'test("q1", () => check(1 === 1));' },
          { code: 'console.log("plain TypeScript still runs", [1, 2].length);' },
        ],
        state,
      );
      expect(setup!.status).toBe('error');
      expect(setup!.stderr).toContain(`@course-kit/lib was not found from ${outside}`);
      expect(setup!.stderr).toContain('this notebook is not inside the course kit');
      expect(setup!.stderr).toContain(`put it in ${join(projectRoot(), 'notebooks')}`);
      expect(setup!.stderr).toContain('npm run lab');
      expect(setup!.stderr).not.toMatch(/TS\d|Cannot find module/);
      expect(later).toEqual({
        stdout: '',
        stderr: "Not run: the course kit's library is missing (see the first error of this session).\n",
        status: 'error',
      });
      expect(later!.stderr).not.toMatch(/@types\/jest|Cannot find name/);
      expect(plain).toEqual({ stdout: 'plain TypeScript still runs 2\n', stderr: '', status: 'ok' });
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }, 300_000);
});
