import { Dispatcher } from '../protocol/dispatcher';
import { MemoryTransport } from '../protocol/memory-transport';
import { MessageFactory } from '../protocol/message';
import { History } from '../services/history';
import { historyHandler } from './history';

function setup() {
  const history = new History(null);
  history.store(1, 'a = 1', '1');
  history.store(2, 'b = 2');
  history.store(3, 'a = 1');
  const transport = new MemoryTransport();
  const dispatcher = new Dispatcher(transport, new MessageFactory(), () => {});
  dispatcher.register('history_request', historyHandler(history));
  const ask = async (content: Record<string, unknown>) =>
    (await transport.reply(transport.request('history_request', content))).content;
  return { ask, s: history.session };
}

test('tail answers the last n rows, with outputs when asked', async () => {
  const { ask, s } = setup();
  expect(await ask({ hist_access_type: 'tail', n: 2 })).toEqual({
    status: 'ok',
    history: [
      [s, 2, 'b = 2'],
      [s, 3, 'a = 1']
    ]
  });
  expect((await ask({ hist_access_type: 'tail', n: 3, output: true })).history).toEqual([
    [s, 1, ['a = 1', '1']],
    [s, 2, ['b = 2', null]],
    [s, 3, ['a = 1', null]]
  ]);
});

test('range answers lines [start, stop) of the current session', async () => {
  const { ask, s } = setup();
  expect((await ask({ hist_access_type: 'range', session: 0, start: 2, stop: 3 })).history).toEqual(
    [[s, 2, 'b = 2']]
  );
});

test('search matches a glob, unique drops repeats', async () => {
  const { ask, s } = setup();
  expect((await ask({ hist_access_type: 'search', pattern: 'a*', unique: true })).history).toEqual([
    [s, 3, 'a = 1']
  ]);
});

test('an unknown access type answers an empty history', async () => {
  const { ask } = setup();
  expect(await ask({ hist_access_type: 'sideways' })).toEqual({ status: 'ok', history: [] });
});
