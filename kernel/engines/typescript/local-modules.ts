import { realpathSync } from 'node:fs';
import Module from 'node:module';
import { cellFrames } from './cell-frames';

/** The extensions of TypeScript modules a notebook keeps beside it. */
const EXTENSIONS = ['.ts', '.tsx'];

type Loader = (module: NodeJS.Module, filename: string) => void;

/**
 * The notebook's own TypeScript modules (`import { f } from './util'`, util.ts
 * in the notebook's folder), which Node cannot load: the compiler converts
 * each one a cell imports and the kernel loads it from here. A module given
 * anew (its file changed) is loaded anew by the next cell that imports it.
 */
export class LocalModules {
  private readonly code = new Map<string, string>();

  /** Has `require` load .ts and .tsx files from what the compiler gave. */
  install(): void {
    const extensions = Module.createRequire(__filename).extensions as unknown as Record<
      string,
      Loader
    >;
    for (const ext of EXTENSIONS) {
      if (extensions[ext]) continue;
      extensions[ext] = (module, filename) => {
        const js = this.code.get(filename) ?? this.code.get(Private.real(filename));
        if (js === undefined)
          throw new Error(
            `${filename} is TypeScript that no cell has imported: Node cannot load it itself. ` +
              `Import it in a cell with an import statement (import { ... } from './${Private.stem(filename)}')`
          );
        (module as NodeJS.Module & { _compile(code: string, filename: string): void })._compile(
          js,
          filename
        );
      };
    }
  }

  /** Modules converted by the compiler, by path: each replaces what an earlier cell loaded. */
  update(modules: Record<string, { js: string; mappings?: string }>): void {
    const cache = Module.createRequire(__filename).cache;
    for (const [path, { js, mappings }] of Object.entries(modules)) {
      for (const name of new Set([path, Private.real(path)])) {
        this.code.set(name, js);
        if (mappings !== undefined) cellFrames.addModule(name, mappings);
        delete cache[name];
      }
    }
  }
}

namespace Private {
  export function real(path: string): string {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  }

  export function stem(path: string): string {
    return (path.split('/').pop() ?? path).replace(/\.tsx?$/, '');
  }
}
