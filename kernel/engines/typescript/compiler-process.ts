/**
 * The compiler process: the converter (a TypeScript language service) runs
 * here, beside the kernel, so loading TypeScript and checking cells never
 * block the cells' thread. It starts from a V8 startup snapshot that already
 * holds TypeScript with the standard library and @types/node parsed
 * (snapshot.ts, built with the kernel), so it is ready in a fraction of the
 * second that loading them takes; without the snapshot it starts as a plain
 * script and loads them itself.
 */
import type { DocumentRegistry } from './converter';
import { isComplete } from './cells';
import { Converter, createRegistry } from './converter';
import type {
  CompilerAnswer,
  CompilerRequest,
  CompilerSetup,
  CompletenessAnswer,
  CompletionAnswer,
  Converted,
  InspectAnswer
} from './protocol';

let registry: DocumentRegistry | null = null;

/**
 * Parses what every notebook shares (the libraries, @types/node) into a
 * registry the converters reuse; run while the snapshot is built, in a folder
 * with no node_modules of its own.
 */
export function prepare(folder: string): void {
  registry = createRegistry();
  new Converter({ isJS: false, cwd: folder, globals: '', registry }).warmUp();
}

/** How long the kernel asks nothing before the compiler collects its garbage. */
const QUIET_MS = 1000;

/** Answers the kernel's requests over the IPC channel until it goes. */
export function serve(): void {
  let converter: Converter | null = null;
  let quiet: NodeJS.Timeout | null = null;
  const collect = (globalThis as { gc?: () => void }).gc;
  const send = (answer: CompilerAnswer) => {
    process.send!(answer);
    // Each cell leaves a program behind: collect once the notebook goes quiet.
    if (quiet) clearTimeout(quiet);
    if (collect) quiet = setTimeout(collect, QUIET_MS);
  };
  // The kernel is gone (or has let go): nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: CompilerSetup | CompilerRequest) => {
    if (!('op' in message)) {
      converter = new Converter({
        isJS: message.isJS,
        cwd: message.cwd,
        globals: message.globals,
        registry: registry ?? createRegistry()
      });
      for (const c of message.committed) converter.commit(c.declarations, c.notRun);
      converter.warmUp();
      send({ id: -1, ok: true, value: 'ready' });
      return;
    }
    let answer: CompilerAnswer;
    try {
      answer = { id: message.id, ok: true, value: answerTo(converter!, message) };
    } catch (error) {
      answer = {
        id: message.id,
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error)
      };
    }
    send(answer);
  });
}

function answerTo(
  converter: Converter,
  req: CompilerRequest
): Converted | CompletionAnswer | InspectAnswer | CompletenessAnswer | null {
  switch (req.op) {
    case 'convert':
      return converter.convert(req.src);
    case 'complete':
      return converter.complete(req.src, req.position);
    case 'inspect':
      return converter.inspect(req.src, req.position);
    case 'isComplete':
      return isComplete(req.src);
    case 'commit':
      converter.commit(req.declarations, req.notRun);
      return null;
  }
}

if (require.main === module) serve();
