import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iopubLimits, isJupyterServer, serverSettings } from './iopub-limits';

/** A /proc with one process, 4242, running `argv`. */
function procWith(argv: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'warren-proc-'));
  mkdirSync(join(root, '4242'));
  writeFileSync(join(root, '4242', 'cmdline'), argv.join('\0') + '\0');
  return root;
}

/** A home of its own, so this machine's ~/.jupyter says nothing. */
const HOME = mkdtempSync(join(tmpdir(), 'warren-home-'));
const at = (procRoot: string) => ({ procRoot, systemConfigDirs: [] });

const SERVER = { bytesPerSecond: 1_000_000, messagesPerSecond: 1000, windowSeconds: 3 };

describe('iopubLimits', () => {
  test.each([
    ['jupyter lab', ['/venv/bin/python', '/venv/bin/jupyter-lab', '--port', '8888']],
    ['jupyter server', ['/usr/bin/python3', '/usr/local/bin/jupyter-server']],
    ['Notebook 7', ['python3', '/opt/conda/bin/jupyter-notebook']],
    [
      'a JupyterHub single-user server',
      ['/opt/conda/bin/python', '/opt/conda/bin/jupyterhub-singleuser']
    ],
    ['python -m jupyterlab', ['python', '-m', 'jupyterlab', '--no-browser']],
    ['python -m jupyter_server', ['/usr/bin/python3', '-m', 'jupyter_server']]
  ])('a kernel launched by %s keeps below the server default limit', (_, argv) => {
    const proc = procWith(argv);
    expect(iopubLimits({ HOME, JPY_PARENT_PID: '4242' }, at(proc))).toEqual(SERVER);
  });

  test.each([
    ['nbclient', ['python', '-m', 'nbclient', 'run.ipynb']],
    ['a script', ['/usr/bin/python3', '/home/me/run.py']],
    ['VS Code', ['/usr/share/code/code', '--type=utility']],
    ['warren itself', ['/usr/bin/node', '/opt/warren/lib/kernel/cli/warren.js', 'run', 'nb.ipynb']]
  ])('a kernel launched by %s sends every byte', (_, argv) => {
    const proc = procWith(argv);
    expect(iopubLimits({ HOME, JPY_PARENT_PID: '4242' }, at(proc))).toBeNull();
  });

  test('without JPY_PARENT_PID, or with a launcher gone, there is no limit', () => {
    const proc = procWith(['/venv/bin/python', '/venv/bin/jupyter-lab']);
    expect(iopubLimits({ HOME }, at(proc))).toBeNull();
    expect(iopubLimits({ HOME, JPY_PARENT_PID: '99999' }, at(proc))).toBeNull();
    expect(iopubLimits({ HOME, JPY_PARENT_PID: 'x' }, at(proc))).toBeNull();
    expect(isJupyterServer(99999, proc)).toBe(false);
  });

  test('WARREN_IOPUB_RATE_LIMIT, _MSG_RATE_LIMIT and _RATE_WINDOW say a server changed its limits', () => {
    const proc = procWith(['/venv/bin/python', '/venv/bin/jupyter-lab']);
    const env = { HOME, JPY_PARENT_PID: '4242' };
    expect(
      iopubLimits(
        { ...env, WARREN_IOPUB_RATE_LIMIT: '0', WARREN_IOPUB_MSG_RATE_LIMIT: '0' },
        at(proc)
      )
    ).toBeNull();
    // Each limit on its own: the other keeps the server's default.
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: '0' }, at(proc))).toEqual({
      ...SERVER,
      bytesPerSecond: 0
    });
    expect(iopubLimits({ ...env, WARREN_IOPUB_MSG_RATE_LIMIT: '10000' }, at(proc))).toEqual({
      ...SERVER,
      messagesPerSecond: 10000
    });
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: '1e7' }, at(proc))).toEqual({
      ...SERVER,
      bytesPerSecond: 1e7
    });
    // Without a server found, only what was said.
    expect(
      iopubLimits({ WARREN_IOPUB_RATE_LIMIT: '500000', WARREN_IOPUB_RATE_WINDOW: '10' })
    ).toEqual({ bytesPerSecond: 500000, messagesPerSecond: 0, windowSeconds: 10 });
    // Nonsense is not taken for a limit: the server's own defaults stand.
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_LIMIT: 'lots' }, at(proc))).toEqual(SERVER);
    expect(iopubLimits({ ...env, WARREN_IOPUB_MSG_RATE_LIMIT: '-5' }, at(proc))).toEqual(SERVER);
    expect(iopubLimits({ ...env, WARREN_IOPUB_RATE_WINDOW: '-1' }, at(proc))).toEqual(SERVER);
  });

  describe('a server told other limits', () => {
    const LAB = ['/venv/bin/python', '/venv/bin/jupyter-lab', '--no-browser'];
    /** A home whose ~/.jupyter holds `files`. */
    function homeWith(files: Record<string, string>): string {
      const home = mkdtempSync(join(tmpdir(), 'warren-home-'));
      mkdirSync(join(home, '.jupyter'));
      for (const [name, text] of Object.entries(files))
        writeFileSync(join(home, '.jupyter', name), text);
      return home;
    }

    test('on its command line, as its own notice advises, in either spelling', () => {
      const limits = (...flags: string[]) =>
        iopubLimits({ HOME, JPY_PARENT_PID: '4242' }, at(procWith([...LAB, ...flags])));
      expect(limits('--ServerApp.iopub_data_rate_limit=1e10')).toEqual({
        ...SERVER,
        bytesPerSecond: 1e10
      });
      expect(limits('--ServerApp.iopub_msg_rate_limit', '10000', '--port=8888')).toEqual({
        ...SERVER,
        messagesPerSecond: 10000
      });
      expect(limits('--ZMQChannelsWebsocketConnection.rate_limit_window=10')).toEqual({
        ...SERVER,
        windowSeconds: 10
      });
      // The new name wins over the deprecated one, in whichever order they came.
      expect(
        limits(
          '--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=2000000',
          '--ServerApp.iopub_data_rate_limit=1e10'
        )
      ).toEqual({ ...SERVER, bytesPerSecond: 2e6 });
      // No limits at all: every byte and every message.
      expect(limits('--ZMQChannelsWebsocketConnection.limit_rate=False')).toBeNull();
      expect(
        limits('--ServerApp.iopub_data_rate_limit=0', '--ServerApp.iopub_msg_rate_limit=0')
      ).toBeNull();
      // What is not a number is the server's to refuse: its defaults stand.
      expect(limits('--ServerApp.iopub_data_rate_limit=lots')).toEqual(SERVER);
      // The old advice, moved to ServerApp by notebook_shim where that is not set.
      expect(limits('--NotebookApp.iopub_data_rate_limit=1e10')).toEqual({
        ...SERVER,
        bytesPerSecond: 1e10
      });
      expect(
        limits('--NotebookApp.iopub_data_rate_limit=1e10', '--ServerApp.iopub_data_rate_limit=2e6')
      ).toEqual({ ...SERVER, bytesPerSecond: 2e6 });
      // A limit below zero is none, as the server takes it.
      expect(limits('--ServerApp.iopub_msg_rate_limit=-1')).toEqual({
        ...SERVER,
        messagesPerSecond: 0
      });
    });

    test('in its config files: JSON, and the literal lines of a Python one', () => {
      const proc = procWith(LAB);
      const home = homeWith({
        'jupyter_server_config.json': JSON.stringify({
          ZMQChannelsWebsocketConnection: { iopub_data_rate_limit: 1e10 }
        }),
        'jupyter_server_config.py': [
          '# c.ServerApp.iopub_data_rate_limit = 0',
          'c.ServerApp.iopub_msg_rate_limit = 1.0e4  # for progress bars',
          'c.ServerApp.rate_limit_window = compute()',
          ''
        ].join('\n')
      });
      expect(iopubLimits({ HOME: home, JPY_PARENT_PID: '4242' }, at(proc))).toEqual({
        bytesPerSecond: 1e10,
        messagesPerSecond: 10000,
        windowSeconds: 3
      });
      // JUPYTER_CONFIG_DIR moves the user's folder.
      expect(
        iopubLimits(
          { HOME, JUPYTER_CONFIG_DIR: join(home, '.jupyter'), JPY_PARENT_PID: '4242' },
          at(proc)
        )?.bytesPerSecond
      ).toBe(1e10);
    });

    test("the command line beats any file, a server's file an app's, a user's file the system's", () => {
      const system = mkdtempSync(join(tmpdir(), 'warren-etc-'));
      writeFileSync(
        join(system, 'jupyter_server_config.json'),
        JSON.stringify({ ServerApp: { iopub_data_rate_limit: 5e6, iopub_msg_rate_limit: 5000 } })
      );
      const venv = mkdtempSync(join(tmpdir(), 'warren-venv-'));
      mkdirSync(join(venv, 'etc', 'jupyter'), { recursive: true });
      writeFileSync(
        join(venv, 'etc', 'jupyter', 'jupyter_server_config.py'),
        'c.ServerApp.iopub_msg_rate_limit = 6000\nc.ServerApp.rate_limit_window = 5\n'
      );
      const home = homeWith({
        'jupyter_server_config.json': JSON.stringify({ ServerApp: { iopub_data_rate_limit: 7e6 } }),
        // An app's own file goes below any server file, the system's included.
        'jupyter_lab_config.json': JSON.stringify({
          ServerApp: { rate_limit_window: 9, iopub_msg_rate_limit: 9000 }
        })
      });
      const argv = [join(venv, 'bin', 'python'), join(venv, 'bin', 'jupyter-lab')];
      const limits = (env: NodeJS.ProcessEnv, ...flags: string[]) =>
        iopubLimits(
          { HOME: home, JPY_PARENT_PID: '4242', ...env },
          { procRoot: procWith([...argv, ...flags]), systemConfigDirs: [system] }
        );
      expect(limits({})).toEqual({
        bytesPerSecond: 7e6,
        messagesPerSecond: 6000,
        windowSeconds: 5
      });
      expect(limits({}, '--ServerApp.iopub_data_rate_limit=8e6')).toEqual({
        bytesPerSecond: 8e6,
        messagesPerSecond: 6000,
        windowSeconds: 5
      });
      // WARREN_IOPUB_* beats all the server says.
      expect(limits({ WARREN_IOPUB_RATE_LIMIT: '0' })?.bytesPerSecond).toBe(0);
      // JUPYTER_NO_CONFIG: the server reads no file at all.
      expect(limits({ JUPYTER_NO_CONFIG: '1' })).toEqual(SERVER);
      // A virtualenv's own folder goes above the user's (jupyter_core 5), unless told otherwise.
      writeFileSync(join(venv, 'pyvenv.cfg'), 'home = /usr/bin\n');
      writeFileSync(
        join(venv, 'etc', 'jupyter', 'jupyter_server_config.json'),
        JSON.stringify({ ServerApp: { iopub_data_rate_limit: 6e6 } })
      );
      expect(limits({})?.bytesPerSecond).toBe(6e6);
      expect(limits({ JUPYTER_PREFER_ENV_PATH: '0' })?.bytesPerSecond).toBe(7e6);
    });

    test('a broken config file is passed over', () => {
      const home = homeWith({
        'jupyter_server_config.json': '{ "ServerApp": ',
        'jupyter_lab_config.json': JSON.stringify({
          ServerApp: 'x',
          LabApp: { rate_limit_window: 9 }
        })
      });
      expect(iopubLimits({ HOME: home, JPY_PARENT_PID: '4242' }, at(procWith(LAB)))).toEqual(
        SERVER
      );
      expect(serverSettings(LAB, { HOME: home }, [])).toEqual({});
    });
  });
});
