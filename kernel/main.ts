/**
 * The composition root: the only place that builds concrete classes. The
 * main thread holds the dispatcher and the engines; the io thread (io.ts)
 * holds the sockets, the heartbeat and the control channel.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { CommManager } from './comms/manager';
import { GpuCommTarget } from './comms/gpu';
import { MountsCommTarget } from './comms/mounts';
import { GpuCollector } from './services/gpu/collector';
import { discoverKernels } from './services/gpu/kernels';
import { installCellApi } from './api';
import { CellEngine } from './engines/cell';
import type { Known } from './engines/shell/syntax';
import { ShellEngine } from './engines/shell/shell';
import { SixelDecoder } from './engines/sixel/decode';
import { SixelOutput } from './engines/sixel/output';
import { answerQuery, DEFAULT_GEOMETRY } from './engines/sixel/queries';
import { Compiler, compilerEntry } from './engines/typescript/compiler';
import { TypeScriptEngine } from './engines/typescript/engine';
import { UserCode } from './engines/typescript/user-code';
import { RunManager } from './services/cluster/manager';
import { RunsCommTarget } from './comms/runs';
import { JournalCommTarget } from './comms/journal';
import { TerminalCommTarget } from './comms/terminal';
import { CommTargets } from '../src/contract';
import { Runtime } from './engines/typescript/runtime';
import {
  commCloseHandler,
  commInfoHandler,
  commMsgHandler,
  commOpenHandler
} from './handlers/comms';
import { executeHandler } from './handlers/execute';
import { historyHandler } from './handlers/history';
import { completeHandler, inspectHandler, isCompleteHandler } from './handlers/introspection';
import type { Language } from './handlers/kernel-info';
import { kernelInfo, kernelInfoHandler } from './handlers/kernel-info';
import { Dispatcher } from './protocol/dispatcher';
import { iopubLimits } from './iopub-limits';
import { JournalTap } from './protocol/journal-tap';
import { Journal, journalLimitsFromEnv } from './services/journal';
import { MessageFactory } from './protocol/message';
import { History } from './services/history';
import { fullCollection } from './gc';
import { unmapProgramPages } from './binary-pages';
import { IDLE_COLLECTION_MAX_BYTES, IdleCollection } from './services/idle-collection';
import { applyToolboxes, MountManager } from './services/mounts';
import { isServicesSession, jupyterDataDir } from './paths';
import { descendants, endProcesses } from './services/processes';
import { SupervisorNotes } from './io/afterlife';
import { readConnectionFile } from './wire/connection';
import { IoTransport } from './io/transport';

/**
 * How long after start the TypeScript compiler starts, unless a cell needs it
 * sooner. It starts from its snapshot in a few tenths of a second, in a
 * process of its own: at once, so that the first cell finds it ready.
 */
const COMPILER_WARMUP_MS = 0;
/** How long the start waits for the compiler before it unmaps what it mapped all the same. */
const COMPILER_READY_MS = 10_000;

export async function startKernel(connectionFile: string, language: Language): Promise<void> {
  // The TypeScript compiler loads in its own process while this one starts
  // (the command line has usually launched it already). The panels' services
  // kernel serves comms: it starts one only if a cell ever needs it.
  const servicesOnly = isServicesSession();
  if (!servicesOnly)
    void Compiler.launchEarly(compilerEntry(), language === 'typescript' ? process.cwd() : null);
  const connection = readConnectionFile(connectionFile);
  const factory = new MessageFactory(randomUUID());
  const info = kernelInfo(language);
  // Every execution's IOPub is kept (bounded) for a page that was away: the
  // journal sees the wire through a tap, the wire knows nothing of it.
  const journal = new Journal(journalLimitsFromEnv(process.env));
  // Cells leave garbage V8 would hold until the next cell: collected once
  // quiet. Taken before the io thread starts, which takes its own gc at once.
  const collect = fullCollection(IDLE_COLLECTION_MAX_BYTES);
  const io = new IoTransport({
    entry: join(__dirname, 'io', 'thread.js'),
    connection,
    session: factory.session,
    kernelInfo: info
  });
  const transport = new JournalTap(io, journal);
  const runtime = new Runtime();
  const log = (text: string) => runtime.log(text);
  // Under a Jupyter server, stream output keeps below the rate it passes on.
  const dispatcher = new Dispatcher(transport, factory, log, iopubLimits(process.env));

  // Toolboxes go on PATH before the shell engine copies the environment.
  const launchEnv = { ...process.env };
  const mounts = new MountManager({ log });
  const toolboxes = await applyToolboxes(process.env, mounts.store).catch((error: unknown) => {
    log(`toolboxes: ${String(error)}`);
    return [];
  });
  const shell = new ShellEngine();
  // Sixel images in shell output become image/png in their place; their programs' terminal queries get answers.
  const sixel = new SixelOutput(new SixelDecoder());
  shell.onDcs = (body, sink, end) => sixel.show(body, sink, end);
  shell.onQuery = (params, final, column) => answerQuery(params, final, DEFAULT_GEOMETRY, column);
  const runs = new RunManager();
  const shellRuntime = installCellApi({
    runtime,
    shell,
    mounts,
    runs,
    launchEnv,
    toolboxes
  });
  const code = new TypeScriptEngine({
    language,
    compilerEntry: compilerEntry(),
    runtime,
    userCode: new UserCode((run) => io.markUserCode(run))
  });
  // The kernel's own globals, as they were defined: after a `!`, such a name
  // is the command (ImageMagick's display, warren's CLI) unless a cell
  // declared it anew.
  const builtins = new Map(Object.entries(runtime.globals));
  const isKnown: Known = (name, asCommand = false) =>
    asCommand && builtins.has(name) && code.locals[name] === builtins.get(name)
      ? false
      : name in code.locals || name in globalThis;
  const engine = new CellEngine(code, shell, isKnown, {
    ...shellRuntime,
    use: (sink) => runtime.use(sink)
  });
  const history = new History(
    process.env.WARREN_NO_HISTORY
      ? null
      : join(jupyterDataDir(), 'warren', `history-${language}.jsonl`)
  );
  const comms = new CommManager();
  // GPU processes are attributed to whichever Jupyter kernel's process tree holds them.
  comms.register(
    new GpuCommTarget({
      createCollector: () => new GpuCollector({ kernels: () => discoverKernels() })
    })
  );
  comms.register(new MountsCommTarget(mounts));
  comms.register(new RunsCommTarget(runs));
  comms.register(new JournalCommTarget(journal));
  comms.register(new TerminalCommTarget((columns) => shell.setColumns(columns)));
  mounts.startHealthChecks();
  void mounts.restore();

  dispatcher.register('kernel_info_request', kernelInfoHandler(info));
  const idle = collect ? new IdleCollection(collect) : null;
  const execute = executeHandler(engine, history);
  dispatcher.register('execute_request', idle ? idle.around(execute) : execute);
  dispatcher.register('complete_request', completeHandler(engine));
  dispatcher.register('inspect_request', inspectHandler(engine));
  dispatcher.register('is_complete_request', isCompleteHandler(engine));
  dispatcher.register('history_request', historyHandler(history));
  dispatcher.register('comm_info_request', commInfoHandler(comms));
  dispatcher.register('comm_open', commOpenHandler(comms));
  dispatcher.register('comm_msg', commMsgHandler(comms));
  dispatcher.register('comm_close', commCloseHandler(comms));
  // A page that comes back while a cell runs asks the journal at once, not
  // after the cell; a page resized while a command runs resizes its terminal at once.
  const atOnce: string[] = [CommTargets.journal, CommTargets.terminal];
  dispatcher.serveAtOnce((msg) => {
    const type = msg.header.msg_type;
    if (type === 'comm_open') return atOnce.includes(String(msg.content.target_name));
    if (type !== 'comm_msg' && type !== 'comm_close') return false;
    const id = msg.content.comm_id;
    return typeof id === 'string' && atOnce.includes(comms.targetOf(id) ?? '');
  });

  // Both interrupt modes end here, through the io thread (which terminates a
  // busy loop in a cell when main does not answer): interrupt_request, and
  // SIGINT from jupyter_client's signal mode, which the supervisor passes on
  // to the io thread. Without a supervisor, SIGINT is handled when main's loop turns.
  const interrupt = () => {
    engine.interrupt();
    dispatcher.cancelInput(new Error('interrupted'));
  };
  transport.onInterrupt(interrupt);
  process.on('SIGINT', process.env.WARREN_SUPERVISOR_PID ? () => undefined : interrupt);
  process.on('SIGTERM', () => io.stop());
  // Under a supervisor (supervisor.ts), which names the heap limit should it be met.
  if (process.env.WARREN_SUPERVISOR_PID) {
    new SupervisorNotes().heap(getHeapStatistics().heap_size_limit);
  }
  runtime.catchStrayErrors();
  runtime.guardExit();
  transport.onShutdown(async () => {
    idle?.dispose();
    comms.dispose();
    mounts.dispose();
    await engine.dispose();
    // What cells started (child_process from a cell, detached or not, and
    // their children) ends with the kernel rather than going on under init.
    // Mount daemons are meant to outlive it: they and theirs are kept.
    const daemons = new Set(mounts.store.runtimes().flatMap((r) => (r.pid ? [r.pid] : [])));
    await endProcesses(descendants(process.pid, daemons));
  });
  await io.ready;
  // What the start mapped of the node binary (40 MB of the kernel's 70) goes: binary-pages.ts.
  unmapProgramPages();
  if (servicesOnly) return;
  // Once the sockets answer: kernel_info is never kept waiting by it.
  setTimeout(() => {
    // And what the rest of the start mapped (kernel_info answered, the
    // compiler taken), once the compiler is ready: 2.4 MB the first cells
    // never run again.
    const ready = code.warmUp();
    const late = new Promise<void>((resolve) => setTimeout(resolve, COMPILER_READY_MS).unref());
    void Promise.race([ready, late]).then(unmapProgramPages);
  }, COMPILER_WARMUP_MS).unref();
}
