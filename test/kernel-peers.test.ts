import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, VENV_BIN, tempDataDir } from './harness';

/**
 * Real peers: nbconvert --execute and jupyter console from the stock Jupyter in
 * .venv (what users run); jupyter_kernel_test from Debian (not on the index).
 */
const PYTHON = '/usr/bin/python3';
const dataDir = tempDataDir();
const env = { ...process.env, JUPYTER_DATA_DIR: dataDir, JUPYTER_PATH: dataDir };

beforeAll(() => {
  const r = spawnSync(process.execPath, [CLI, 'install'], { env, encoding: 'utf8' });
  expect(r.status).toBe(0);
});

const SUITE = `
import unittest
import jupyter_kernel_test

class Common:
    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'
    complete_code_samples = ['1', 'let a = 1', 'function f() { return 1 }']
    incomplete_code_samples = ['function f() {', 'const s = \`abc', 'if (true) {']
    invalid_code_samples = ['let = = 1', 'a b c']
    code_page_something = 'page("paged text")'
    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [{'code': '6 * 7', 'result': '42'}, {'code': '"a" + "b"', 'result': "'ab'"}]
    code_display_data = [{'code': 'display.html("<b>x</b>")', 'mime': 'text/html'}, {'code': 'display.png(new Uint8Array([1, 2]))', 'mime': 'image/png'}]
    code_history_pattern = '6 * 7'
    supported_history_operations = ('tail', 'range', 'search')
    code_inspect_sample = 'Math.max'
    code_clear_output = 'display.clear()'
    completion_samples = [{'text': 'Math.flo', 'matches': {'floor'}}]

class WarrenTypeScript(Common, jupyter_kernel_test.KernelTests):
    kernel_name = 'warren'
    language_name = 'typescript'
    file_extension = '.ts'

class WarrenJavaScript(Common, jupyter_kernel_test.KernelTests):
    kernel_name = 'warren-js'
    language_name = 'javascript'
    file_extension = '.js'

if __name__ == '__main__':
    unittest.main(verbosity=2)
`;

test("Debian's jupyter_kernel_test passes in full against both kernelspecs", () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-jkt-'));
  writeFileSync(join(dir, 'test_warren.py'), SUITE);
  const r = spawnSync(PYTHON, [join(dir, 'test_warren.py')], {
    env,
    encoding: 'utf8',
    cwd: dir,
    timeout: 300000
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) console.log(out);
  expect(out).toMatch(/Ran \d+ tests/);
  expect(out).toMatch(/\nOK\s*$/m);
  // "in full": no test of the suite may be skipped for want of a sample.
  expect(out).not.toMatch(/skipped/);
  expect(r.status).toBe(0);
}, 320000);

test('nbconvert --execute runs a TypeScript notebook through the installed kernel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-nbc-'));
  const cell = (source: string) => ({
    cell_type: 'code',
    metadata: {},
    source,
    outputs: [],
    execution_count: null
  });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'warren', display_name: 'TypeScript (warren)', language: 'typescript' }
    },
    cells: [
      cell('const xs: number[] = [1, 2, 3];'),
      cell('console.log(xs.map((x) => x * 2).join(","))'),
      cell('xs.reduce((a, b) => a + b, 0)')
    ]
  };
  writeFileSync(join(dir, 'in.ipynb'), JSON.stringify(nb));
  const r = spawnSync(
    join(VENV_BIN, 'jupyter-nbconvert'),
    ['--to', 'notebook', '--execute', 'in.ipynb', '--output', 'out.ipynb'],
    { env, cwd: dir, encoding: 'utf8', timeout: 120000 }
  );
  if (r.status !== 0) console.log(r.stderr);
  expect(r.status).toBe(0);
  type Multiline = string | string[];
  const out = JSON.parse(readFileSync(join(dir, 'out.ipynb'), 'utf8')) as {
    cells: { outputs: { text?: Multiline; data?: Record<string, Multiline> }[] }[];
  };
  const join_ = (v: Multiline | undefined) => (Array.isArray(v) ? v.join('') : v);
  expect(join_(out.cells[1].outputs[0].text)).toBe('2,4,6\n');
  expect(join_(out.cells[2].outputs[0].data?.['text/plain'])).toBe('6');
}, 130000);

test('jupyter console runs a cell through the installed kernel, and exit closes it', () => {
  const r = spawnSync(
    join(VENV_BIN, 'jupyter-console'),
    ['--kernel', 'warren', '--simple-prompt', '--no-confirm-exit'],
    {
      env,
      input: 'const answer = 6 * 7\nanswer + 0.5\nexit\nconsole.log("after" + " exit")\n',
      encoding: 'utf8',
      timeout: 120000
    }
  );
  if (!r.stdout.includes('42.5')) console.log(r.signal, r.stderr);
  expect(r.stdout).toContain('42.5');
  // exit ended the console there (the ask_exit payload), not the end of its input.
  expect(r.stdout).not.toContain('after exit');
  expect(r.stdout).not.toContain('TSError');
  expect(r.stdout).toContain('Shutting down kernel');
  expect(r.status).toBe(0);
}, 130000);

/**
 * jupyter console sends its first execute as soon as kernel_info is answered,
 * and its SUB socket may connect after its DEALER (ZeroMQ retries a refused
 * connect after 100-200 ms, chosen at random per socket): a PUB drops what it
 * sends before a subscriber has joined, and the console then waits forever
 * for an idle that went to nobody. Here the real jupyter_client subscribes
 * only after the cell's reply has come.
 */
const LATE_SUBSCRIBER = `
import json, time
from queue import Empty
from jupyter_client.manager import KernelManager

km = KernelManager(kernel_name='warren')
km.start_kernel()
kc = km.client()
kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
try:
    kc.kernel_info()
    kc.get_shell_msg(timeout=60)
    msg_id = kc.execute('console.log("said before anyone listened")')
    while kc.get_shell_msg(timeout=60)['parent_header'].get('msg_id') != msg_id:
        pass
    time.sleep(0.3)
    kc.iopub_channel.start()
    seen = []
    deadline = time.time() + 15
    while time.time() < deadline:
        try:
            m = kc.iopub_channel.get_msg(timeout=0.5)
        except Empty:
            continue
        if m['parent_header'].get('msg_id') != msg_id:
            continue
        seen.append({'type': m['msg_type'], 'content': m['content']})
        if m['msg_type'] == 'status' and m['content']['execution_state'] == 'idle':
            break
    print(json.dumps(seen))
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)
`;

test("a cell's output published before jupyter_client's iopub subscribed reaches it", () => {
  const dir = mkdtempSync(join(tmpdir(), 'warren-late-sub-'));
  writeFileSync(join(dir, 'late.py'), LATE_SUBSCRIBER);
  const r = spawnSync(join(VENV_BIN, 'python'), [join(dir, 'late.py')], {
    env,
    cwd: dir,
    encoding: 'utf8',
    timeout: 90000
  });
  if (r.status !== 0) console.log(r.stderr);
  expect(r.status).toBe(0);
  const seen = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    type: string;
    content: { name?: string; text?: string; execution_state?: string };
  }[];
  expect(seen.map((m) => m.type)).toEqual(['status', 'execute_input', 'stream', 'status']);
  expect(seen[2].content).toEqual({ name: 'stdout', text: 'said before anyone listened\n' });
  expect(seen[3].content.execution_state).toBe('idle');
}, 100000);
