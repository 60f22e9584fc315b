import type { Engine } from '../engines/engine';
import { Dispatcher } from '../protocol/dispatcher';
import { MemoryTransport } from '../protocol/memory-transport';
import { MessageFactory } from '../protocol/message';
import { completeHandler, inspectHandler, isCompleteHandler } from './introspection';

function setup() {
  const seen: { code: string; cursor: number; detail?: number }[] = [];
  const engine = {
    complete: async (code: string, cursor: number) => {
      seen.push({ code, cursor });
      // The word before the cursor, in UTF-16 units.
      const start = code.slice(0, cursor).search(/\w*$/);
      return { matches: ['fooBar'], cursorStart: start, cursorEnd: cursor };
    },
    inspect: async (code: string, cursor: number, detail: number) => {
      seen.push({ code, cursor, detail });
      return { found: true, data: { 'text/plain': 'doc' } };
    },
    isComplete: async (code: string) =>
      code.endsWith('{')
        ? { status: 'incomplete' as const, indent: '  ' }
        : { status: 'complete' as const }
  } as unknown as Engine;
  const transport = new MemoryTransport();
  const dispatcher = new Dispatcher(transport, new MessageFactory(), () => {});
  dispatcher.register('complete_request', completeHandler(engine));
  dispatcher.register('inspect_request', inspectHandler(engine));
  dispatcher.register('is_complete_request', isCompleteHandler(engine));
  const ask = async (type: string, content: Record<string, unknown>) =>
    (await transport.reply(transport.request(type, content))).content;
  return { ask, seen };
}

test('complete_request counts cursor positions in code points, in and out', async () => {
  const { ask, seen } = setup();
  // '😀' is one code point and two UTF-16 units.
  const code = '😀; foo';
  const reply = await ask('complete_request', { code, cursor_pos: 6 });
  expect(seen[0].cursor).toBe(7);
  expect(reply).toEqual({
    status: 'ok',
    matches: ['fooBar'],
    cursor_start: 3,
    cursor_end: 6,
    metadata: {}
  });
});

test('a missing cursor_pos means the end of the code', async () => {
  const { ask, seen } = setup();
  await ask('complete_request', { code: '😀ab' });
  expect(seen[0].cursor).toBe(4);
});

test('inspect_request passes the detail level and answers found and data', async () => {
  const { ask, seen } = setup();
  const reply = await ask('inspect_request', { code: 'x', cursor_pos: 1, detail_level: 1 });
  expect(seen[0]).toEqual({ code: 'x', cursor: 1, detail: 1 });
  expect(reply).toEqual({ status: 'ok', found: true, data: { 'text/plain': 'doc' }, metadata: {} });
});

test('is_complete_request answers incomplete with an indent', async () => {
  const { ask } = setup();
  expect(await ask('is_complete_request', { code: 'if (x) {' })).toEqual({
    status: 'incomplete',
    indent: '  '
  });
  expect(await ask('is_complete_request', { code: 'x' })).toEqual({ status: 'complete' });
});
