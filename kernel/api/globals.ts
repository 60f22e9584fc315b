// What a TypeScript cell sees beyond the language, written once, in TypeScript
// that the kernel's own build checks. `CellGlobals` maps each global to its
// type; api/index.ts builds the objects it defines as a `CellGlobals`, so an
// implementation that strays from its declaration fails `npm run typecheck`.
// The build (scripts/copy-assets.js, through api/declarations.ts) turns this
// file into the ambient declarations the cell checker reads: `export` goes,
// each member of `CellGlobals` becomes a `declare const` or `declare function`,
// the rest is kept as written, doc comments too. Cells cannot import, so this
// file imports nothing and declares types only; the names are the ones cells
// see (the Warren prefix keeps them out of the way of a cell's own).

export interface WarrenDisplayOptions {
  id?: string;
  update?: boolean;
  metadata?: { [key: string]: unknown };
}

export interface WarrenDisplay {
  (value: unknown, options?: WarrenDisplayOptions): void;
  html(html: string, options?: WarrenDisplayOptions): void;
  markdown(markdown: string, options?: WarrenDisplayOptions): void;
  svg(svg: string, options?: WarrenDisplayOptions): void;
  png(png: Uint8Array | string, options?: WarrenDisplayOptions): void;
  jpeg(jpeg: Uint8Array | string, options?: WarrenDisplayOptions): void;
  json(value: unknown, options?: WarrenDisplayOptions): void;
  text(text: string, options?: WarrenDisplayOptions): void;
  latex(latex: string, options?: WarrenDisplayOptions): void;
  mime(bundle: { [mime: string]: unknown }, options?: WarrenDisplayOptions): void;
  clear(wait?: boolean): void;
}

export interface ShellResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly lines: string[];
  /** Characters past the capture limit (256 M per stream) that were read and dropped; 0 if none. */
  readonly dropped: number;
}

export interface WarrenShell {
  /** Exit status of the last command (null when a signal ended it). */
  readonly exitCode: number | null;
  /** When true, a failing ! command throws CalledProcessError. */
  raise: boolean;
  readonly cwd: string;
  readonly env: { [name: string]: string };
  run(command: string): Promise<number | null>;
  capture(command: string): Promise<ShellResult>;
}

/** What rewritten `!` lines and `%` magics call (api/magics.ts names the global). */
export interface WarrenShellRuntime {
  run(command: string): Promise<void>;
  capture(command: string): Promise<ShellResult>;
  magic(name: string, arg: string): Promise<void>;
  script(shell: 'bash' | 'sh', args: string, body: string): Promise<void>;
}

export type WarrenMountState = 'mounted' | 'stale' | 'unmounted' | 'busy' | 'error';

export interface WarrenMountStatus {
  kind: 'rclone' | 'sshfs' | 'bind' | 'nfs';
  source: string;
  mountpoint: string;
  readOnly?: boolean;
  auto?: boolean;
  state: WarrenMountState;
  message: string | null;
  pid: number | null;
  fsType: string | null;
  mountedAt: number | null;
}

export interface WarrenMountOptions {
  /** An rclone remote from your rclone config: 'gdrive:' or 'gdrive:folder'. */
  remote?: string;
  /** [user@]host:/path over ssh. */
  sshfs?: string;
  /** A local folder. */
  bind?: string;
  /** host:/export. */
  nfs?: string;
  readOnly?: boolean;
  /** Mount again whenever mounts are restored. */
  auto?: boolean;
  /** Keep the definition in mounts.json (default true). */
  save?: boolean;
  timeoutS?: number;
  rcloneConfig?: string;
  /** rclone: files show as executable (default true). */
  execBits?: boolean;
  port?: number;
  identityFile?: string;
  knownHostsFile?: string;
}

export interface WarrenToolbox {
  name: string;
  root: string;
  bin: string[];
  env: { [name: string]: string };
  present: boolean;
  commands: number;
  /** Why it is not present, when its volume did not answer. */
  message?: string;
}

export type WarrenRunState =
  | 'submitting'
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'timeout'
  | 'unknown';

export interface WarrenResources {
  partition?: string;
  gpus?: number;
  cpus?: number;
  mem?: string;
  time?: string;
}

export interface WarrenRunSummary {
  id: string;
  profile: string;
  notebook: string;
  jobId: string | null;
  state: WarrenRunState;
  message: string;
  submitted: string;
  updated: string;
  result: string | null;
}

export interface WarrenMapResult {
  readonly id: string;
  readonly state: WarrenRunState;
  readonly total: number;
  readonly done: number;
  /** Exit code per command, by index; null for one that never ran. */
  readonly exitCodes: (number | null)[];
  readonly failed: number[];
  /** One command's output (stdout and stderr): its last megabyte. */
  log(index: number): Promise<string>;
  /** Runs the failed (and never run) commands again, as a new array. */
  retry(): Promise<WarrenMapResult>;
}

export interface WarrenApi {
  /** Mounts a volume, as Colab's drive.mount does: await warren.mount('/content/drive', { remote: 'gdrive:' }). */
  mount(mountpoint: string, options?: WarrenMountOptions): Promise<WarrenMountStatus>;
  /** Uploads pending writes, then unmounts; forget drops the saved definition. */
  unmount(mountpoint: string, options?: { forget?: boolean }): Promise<void>;
  mounts(): Promise<WarrenMountStatus[]>;
  /** Registers a tool tree: its bin on PATH (here and in every new kernel), its env set, exec bits repaired. */
  addToolbox(
    name: string,
    root: string,
    options?: { bin?: string[]; env?: { [name: string]: string } }
  ): Promise<WarrenToolbox>;
  /** Removes a toolbox (off this kernel's PATH at once, its variables back to their values at launch), or declines one a mounted volume brought; its volume's manifest is updated if the volume answers within 2 s. */
  removeToolbox(name: string): Promise<void>;
  /** Each toolbox, whether its folder is there and how many commands it holds (a hung volume's is not present, with a message). */
  toolboxes(): Promise<WarrenToolbox[]>;
  /** Toolboxes mounted volumes brought (their .warren-tools.json): not in effect until accepted. */
  pendingToolboxes(): (Omit<WarrenToolbox, 'present' | 'commands'> & { volume: string })[];
  /** Puts a toolbox a volume brought into effect, here and in every new kernel. */
  acceptToolbox(name: string): Promise<WarrenToolbox>;
  /** Runs shell commands as a Slurm job array, chunk commands per task: await warren.map(lines, { chunk: 50 }). */
  map(
    commands: string[] | string,
    options?: WarrenResources & { chunk?: number; profile?: string; parallel?: number }
  ): Promise<WarrenMapResult>;
  /** Runs a notebook: headless here without a profile, else sent to the profile's cluster and awaited (wait: false returns at once). */
  run(
    notebook: string,
    options?: WarrenResources & {
      profile?: string;
      parameters?: { [name: string]: unknown };
      inputs?: string[];
      outputs?: string[];
      output?: string;
      wait?: boolean;
    }
  ): Promise<WarrenRunSummary>;
  /** Runs sent from this machine, oldest first. */
  runs(): WarrenRunSummary[];
}

/** Every global a cell sees: each member is declared `declare const` (a property) or `declare function` (a method). */
export interface CellGlobals {
  display: WarrenDisplay;
  input(prompt?: string, options?: { password?: boolean }): Promise<string>;
  page(text: string | { [mime: string]: unknown }): void;
  rich(bundle: { [mime: string]: unknown }): { readonly [key: symbol]: unknown };
  shell: WarrenShell;
  /** Tagged template capture, as zx spells it: const r = await $ followed by a template literal. */
  $(strings: TemplateStringsArray, ...values: unknown[]): Promise<ShellResult>;
  __warren_shell__: WarrenShellRuntime;
  warren: WarrenApi;
}
