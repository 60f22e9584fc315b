import type { Handler } from '../protocol/dispatcher';
import type { History } from '../services/history';

export function historyHandler(history: History): Handler {
  return async ({ content }) => {
    const output = content.output === true;
    const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
    switch (content.hist_access_type) {
      case 'tail':
        return { status: 'ok', history: history.tail(num(content.n) ?? 10, output) };
      case 'range':
        return {
          status: 'ok',
          history: history.range(
            num(content.session) ?? 0,
            num(content.start) ?? 1,
            num(content.stop),
            output
          )
        };
      case 'search':
        return {
          status: 'ok',
          history: history.search(
            typeof content.pattern === 'string' ? content.pattern : '*',
            num(content.n),
            content.unique === true,
            output
          )
        };
      default:
        return { status: 'ok', history: [] };
    }
  };
}
