import { resolve, sep } from 'node:path';
import { inspect } from 'node:util';
import type { ErrorResult, MimeBundle } from '../engine';
import { Interrupted } from '../engine';
import { cellFrames } from './cell-frames';

/** A value that carries its own mime bundle (what the display API builds). */
export const BUNDLE = Symbol.for('warren.mimeBundle');

// A type, not an interface: cells see it as `{ readonly [key: symbol]: unknown }`,
// which only a type alias is assignable to (interfaces have no implicit index).
export type Displayable = {
  [BUNDLE]: MimeBundle;
};

export function isDisplayable(value: unknown): value is Displayable {
  return typeof value === 'object' && value !== null && BUNDLE in value;
}

/** The mime bundle of a cell's value: plain text without colour codes, as frontends expect. */
export function toBundle(value: unknown): MimeBundle {
  if (isDisplayable(value)) {
    return value[BUNDLE];
  }
  return {
    'text/plain': inspect(value, { colors: false, depth: 4, maxArrayLength: 200, breakLength: 100 })
  };
}

const INTERRUPTED = /Script execution was interrupted by `SIGINT`|Interrupted/;

/** The kernel's own compiled code (lib/kernel). */
const KERNEL_DIR = resolve(__dirname, '..', '..') + sep;

/**
 * Stack frames of the kernel itself and of Node's internals say nothing to
 * the user; a frame in a cell is given as the cell's line, with its code.
 */
function userFrames(stack: string): string[] {
  return cellFrames.rewrite(
    stack
      .split('\n')
      .slice(1)
      .filter((l) => /^\s+at /.test(l))
      .filter((l) => !l.includes(KERNEL_DIR))
      .filter((l) => !/node:internal|\(node:vm|evalmachine\.<anonymous>:1:1\)?$/.test(l))
  );
}

export function toError(thrown: unknown): ErrorResult {
  if (
    thrown instanceof Interrupted ||
    (thrown instanceof Error &&
      INTERRUPTED.test(thrown.message) &&
      thrown.name === 'Error' &&
      /SIGINT/.test(thrown.message))
  ) {
    return {
      status: 'error',
      ename: 'KeyboardInterrupt',
      evalue: 'interrupted by the user',
      traceback: ['\x1b[31mKeyboardInterrupt\x1b[0m: interrupted by the user']
    };
  }
  if (thrown instanceof Error) {
    const ename = thrown.name || thrown.constructor?.name || 'Error';
    const evalue = thrown.message;
    return {
      status: 'error',
      ename,
      evalue,
      traceback: [`\x1b[31m${ename}\x1b[0m: ${evalue}`, ...userFrames(thrown.stack ?? '')]
    };
  }
  const evalue = inspect(thrown, { colors: false, depth: 2 });
  return {
    status: 'error',
    ename: 'Uncaught',
    evalue,
    traceback: [`\x1b[31mUncaught\x1b[0m ${evalue}`]
  };
}
