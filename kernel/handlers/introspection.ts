import type { Engine } from '../engines/engine';
import type { Handler } from '../protocol/dispatcher';
import { codePointToUnit, unitToCodePoint } from './positions';

function codeAndCursor(content: Record<string, unknown>): { code: string; cursor: number } {
  const code = typeof content.code === 'string' ? content.code : '';
  const cp = typeof content.cursor_pos === 'number' ? content.cursor_pos : Array.from(code).length;
  return { code, cursor: codePointToUnit(code, cp) };
}

/** complete_request: positions in and out are code points. */
export function completeHandler(engine: Engine): Handler {
  return async ({ content }) => {
    const { code, cursor } = codeAndCursor(content);
    const c = await engine.complete(code, cursor);
    return {
      status: 'ok',
      matches: c.matches,
      cursor_start: unitToCodePoint(code, c.cursorStart),
      cursor_end: unitToCodePoint(code, c.cursorEnd),
      metadata: c.metadata ?? {}
    };
  };
}

export function inspectHandler(engine: Engine): Handler {
  return async ({ content }) => {
    const { code, cursor } = codeAndCursor(content);
    const detail = content.detail_level === 1 ? 1 : 0;
    const r = await engine.inspect(code, cursor, detail);
    return { status: 'ok', found: r.found, data: r.data, metadata: {} };
  };
}

export function isCompleteHandler(engine: Engine): Handler {
  return async ({ content }) => {
    const code = typeof content.code === 'string' ? content.code : '';
    return { ...(await engine.isComplete(code)) };
  };
}
