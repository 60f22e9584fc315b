import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JSONObject } from '../../src/contract';
import type { Message } from '../protocol/message';
import { freePorts } from '../ports';
import { MessageFactory, parseMessage } from '../protocol/message';
import { decode, encode } from '../wire/codec';
import type { ConnectionInfo } from '../wire/connection';
import { endpoint } from '../wire/connection';
import { Outbox } from '../wire/outbox';
import { Signer } from '../wire/signer';
import type { ClientSockets } from '../wire/sockets';
import { connectSockets, receiveEach, sendRaw } from '../wire/sockets';

type RequestChannel = 'shell' | 'control';

/**
 * A Jupyter client: launches a kernel from its argv (a kernelspec's), talks
 * to it over the five channels, and gathers each request's output until its
 * idle. The headless runner and the tests drive kernels through it.
 */
export class KernelClient {
  readonly info: ConnectionInfo;
  private readonly signer: Signer;
  private readonly factory = new MessageFactory();
  private sockets!: ClientSockets;
  private outboxes!: Record<RequestChannel | 'stdin', Outbox>;
  private process: ChildProcess | null = null;
  private readonly dir: string;
  private readonly replies = new Map<string, (m: Message) => void>();
  private readonly iopubWaiters = new Map<
    string,
    { messages: Message[]; done: (m: Message[]) => void }
  >();
  /** Every iopub message seen, in order (tests inspect it); empty where `keepIopubLog` is false. */
  readonly iopubLog: Message[] = [];
  /** How many iopub messages have arrived. */
  iopubCount = 0;
  private keepIopubLog = true;
  /** Answers an input_request; null leaves it unanswered (answer later with `inputReply`). */
  onInputRequest: (prompt: string, password: boolean) => string | null = () => '';
  /** Every input_request seen, in order. */
  readonly stdinLog: Message[] = [];
  /** When the first kernel_info_reply arrived (performance.now()), for launch timings. */
  readyAt: number | null = null;
  /** Called with each iopub message as it arrives (the runner saves outputs live). */
  onIopub: ((m: Message) => void) | null = null;
  exited: Promise<number | null> = Promise.resolve(null);
  /** The signal that ended the kernel, once `exited` has resolved with null. */
  exitSignal: NodeJS.Signals | null = null;
  stderr = '';

  private constructor(info: ConnectionInfo, dir: string) {
    this.info = info;
    this.dir = dir;
    this.signer = new Signer(info.key, info.signature_scheme);
  }

  /** Starts `argv` (with `{connection_file}` substituted) and waits for kernel_info. */
  static async launch(
    argv: string[],
    options: KernelClient.ILaunchOptions = {}
  ): Promise<KernelClient> {
    // Node would blame the program (spawn ... ENOENT) for a folder that is not there.
    if (options.cwd !== undefined && !existsSync(options.cwd))
      throw new Error(`cannot start the kernel in ${options.cwd}: no such folder`);
    const dir = mkdtempSync(join(tmpdir(), 'warren-client-'));
    const ports = await freePorts(5);
    const info: ConnectionInfo = {
      transport: options.transport ?? 'tcp',
      ip: options.transport === 'ipc' ? join(dir, 'kernel') : '127.0.0.1',
      key: options.key ?? randomBytes(16).toString('hex'),
      signature_scheme: 'hmac-sha256',
      shell_port: ports[0],
      control_port: ports[1],
      stdin_port: ports[2],
      iopub_port: ports[3],
      hb_port: ports[4]
    };
    const file = join(dir, 'connection.json');
    writeFileSync(file, JSON.stringify(info));
    const client = new KernelClient(info, dir);
    client.keepIopubLog = options.keepIopubLog ?? true;
    const child = spawn(
      argv[0],
      argv.slice(1).map((a) => a.replace('{connection_file}', file)),
      {
        // As jupyter_client: the kernel's launcher is this process (an
        // inherited value would name another, a Jupyter server's say).
        env: { ...process.env, JPY_PARENT_PID: String(process.pid), ...options.env },
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true
      }
    );
    child.stdout?.on('data', (d: Buffer) => {
      client.stderr += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      client.stderr += d.toString();
      if (client.stderr.length > 100000) client.stderr = client.stderr.slice(-50000);
    });
    client.process = child;
    client.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        client.exitSignal = signal;
        resolve(code);
      });
      child.once('error', (error) => {
        client.stderr += `cannot start ${argv[0]}: ${error.message}\n`;
        resolve(null);
      });
    });
    client.connect();
    try {
      await client.waitForReady(options.timeoutMs ?? 30000);
    } catch (error) {
      // A kernel that never answered: nothing of it may keep this process alive.
      client.kill();
      client.close();
      throw error;
    }
    return client;
  }

  /** A second client of a kernel someone else launched: connects and waits for kernel_info. */
  static async attach(info: ConnectionInfo, timeoutMs = 30000): Promise<KernelClient> {
    const client = new KernelClient(info, mkdtempSync(join(tmpdir(), 'warren-client-')));
    client.connect();
    await client.waitForReady(timeoutMs);
    return client;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  connect(): void {
    this.sockets = connectSockets(this.info, this.factory.session);
    // The client obeys the same rule as the kernel: one pending send per socket.
    this.outboxes = {
      shell: new Outbox((f) => this.sockets.shell.send(f)),
      control: new Outbox((f) => this.sockets.control.send(f)),
      stdin: new Outbox((f) => this.sockets.stdin.send(f))
    };
    void this.listen(this.sockets.shell, (m) => this.onReply(m));
    void this.listen(this.sockets.control, (m) => this.onReply(m));
    void this.listen(this.sockets.iopub, (m) => this.onIopubMessage(m));
    void this.listen(this.sockets.stdin, (m) => this.onStdin(m));
  }

  /** Sends a request and resolves with its reply. */
  request(
    channel: RequestChannel,
    type: string,
    content: JSONObject,
    metadata: JSONObject = {}
  ): { msgId: string; reply: Promise<Message> } {
    const raw = this.factory.raw(type, content, undefined, [], metadata);
    const msgId = (JSON.parse(raw.header) as { msg_id: string }).msg_id;
    const reply = new Promise<Message>((resolve) => this.replies.set(msgId, resolve));
    this.outboxes[channel].push(encode(raw, this.signer));
    return { msgId, reply };
  }

  /** Sends a request, then waits for its reply and every iopub message up to its idle. */
  async call(
    channel: RequestChannel,
    type: string,
    content: JSONObject,
    timeoutMs = 60000
  ): Promise<{ reply: Message; iopub: Message[] }> {
    const raw = this.factory.raw(type, content, undefined);
    const msgId = (JSON.parse(raw.header) as { msg_id: string }).msg_id;
    // comm_open, comm_msg and comm_close have no reply: only their idle is awaited.
    const reply = /^comm_(open|msg|close)$/.test(type)
      ? Promise.resolve(null as unknown as Message)
      : new Promise<Message>((resolve) => this.replies.set(msgId, resolve));
    const iopub = new Promise<Message[]>((resolve) =>
      this.iopubWaiters.set(msgId, { messages: [], done: resolve })
    );
    this.outboxes[channel].push(encode(raw, this.signer));
    const timer = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `${type} got no reply and idle within ${timeoutMs} ms\n${this.stderr.slice(-2000)}`
            )
          ),
        timeoutMs
      );
      t.unref();
    });
    const [r, i] = await Promise.race([Promise.all([reply, iopub]), timer]);
    return { reply: r, iopub: i };
  }

  execute(code: string, extra: JSONObject = {}, timeoutMs?: number) {
    return this.call(
      'shell',
      'execute_request',
      {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: true,
        stop_on_error: true,
        ...extra
      },
      timeoutMs
    );
  }

  /** Round trip on the heartbeat, in milliseconds. */
  async heartbeat(): Promise<number> {
    const t = performance.now();
    await this.sockets.hb.send([Buffer.from('ping')]);
    await this.sockets.hb.receive();
    return performance.now() - t;
  }

  /** Frames sent as-is to a channel: for testing how a kernel takes bad input. */
  sendRaw(channel: RequestChannel, frames: Buffer[]): Promise<void> {
    return sendRaw(endpoint(this.info, channel), frames);
  }

  sign(parts: Buffer[]): string {
    return this.signer.sign(parts);
  }

  async shutdown(): Promise<void> {
    if (this.process && this.process.exitCode === null) {
      const { reply } = this.request('control', 'shutdown_request', { restart: false });
      // Each wait's timer is cleared once it is no longer needed: a pending one
      // kept a finished `warren run` alive for 5 s more.
      const within = <T>(p: Promise<T>, ms: number, late: T): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        return Promise.race([
          p,
          new Promise<T>((r) => (timer = setTimeout(() => r(late), ms)))
        ]).finally(() => clearTimeout(timer));
      };
      await within(
        reply.then(() => undefined),
        3000,
        undefined
      );
      const exited = await within(
        this.exited.then(() => true),
        5000,
        false
      );
      if (!exited) this.kill();
    }
    this.close();
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    try {
      if (this.process?.pid) process.kill(-this.process.pid, signal);
    } catch {
      // gone
    }
  }

  close(): void {
    this.sockets.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // First the kernel: a kernel_info_reply on shell. Requests sent before the
    // kernel binds wait in ZeroMQ's queue, so one is enough; resend each second.
    while (this.readyAt === null) {
      if (Date.now() > deadline || (this.process && this.process.exitCode !== null)) {
        throw new Error(`kernel did not answer kernel_info\n${this.stderr.slice(-2000)}`);
      }
      const { reply } = this.request('shell', 'kernel_info_request', {});
      const got = await Promise.race([reply, new Promise<null>((r) => setTimeout(r, 1000, null))]);
      if (got) this.readyAt = performance.now();
    }
    // Then iopub: a SUB socket joins late and misses what was published
    // before, so ask until a request's idle arrives too.
    while (Date.now() < deadline) {
      const seen = await this.call('shell', 'kernel_info_request', {}, 200).then(
        () => true,
        () => false
      );
      if (seen) return;
    }
    throw new Error(`kernel's iopub never delivered\n${this.stderr.slice(-2000)}`);
  }

  /** Receives on one socket until it closes, handing each valid message on. */
  private listen(
    socket: { receive(): Promise<Buffer[]> },
    handle: (m: Message) => void
  ): Promise<void> {
    return receiveEach(socket, (frames) => {
      const m = this.parse(frames);
      if (m) handle(m);
    });
  }

  private onReply(m: Message): void {
    const parent = typeof m.parent_header.msg_id === 'string' ? m.parent_header.msg_id : '';
    const resolve = this.replies.get(parent);
    if (resolve) {
      this.replies.delete(parent);
      resolve(m);
    }
  }

  private onIopubMessage(m: Message): void {
    this.iopubCount++;
    if (this.keepIopubLog) {
      this.iopubLog.push(m);
      if (this.iopubLog.length > 100000) this.iopubLog.splice(0, 50000);
    }
    this.onIopub?.(m);
    const parent = typeof m.parent_header.msg_id === 'string' ? m.parent_header.msg_id : '';
    const w = this.iopubWaiters.get(parent);
    if (!w) return;
    w.messages.push(m);
    if (m.header.msg_type === 'status' && m.content.execution_state === 'idle') {
      this.iopubWaiters.delete(parent);
      w.done(w.messages);
    }
  }

  /** Sends an input_reply to `request` (an input_request from `stdinLog`). */
  inputReply(request: Message, value: string): void {
    const raw = this.factory.raw('input_reply', { value, status: 'ok' }, request.header);
    this.outboxes.stdin.push(encode(raw, this.signer));
  }

  private onStdin(m: Message): void {
    if (m.header.msg_type !== 'input_request') return;
    this.stdinLog.push(m);
    const value = this.onInputRequest(String(m.content.prompt ?? ''), m.content.password === true);
    if (value !== null) this.inputReply(m, value);
  }

  private parse(frames: Buffer[]): Message | null {
    const d = decode(frames, this.signer);
    if (!d.ok) return null;
    try {
      return parseMessage(d.message);
    } catch {
      return null;
    }
  }
}

export namespace KernelClient {
  export interface ILaunchOptions {
    env?: Record<string, string>;
    cwd?: string;
    transport?: 'tcp' | 'ipc';
    key?: string;
    timeoutMs?: number;
    /**
     * Keep every iopub message in `iopubLog` (the default, for tests). A
     * long run holds them all otherwise: a figure redrawn 300 times is 300
     * copies of it.
     */
    keepIopubLog?: boolean;
  }
}
