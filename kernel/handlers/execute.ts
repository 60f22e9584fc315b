import type { JSONObject } from '../../src/contract';
import type { Engine, OutputSink } from '../engines/engine';
import type { Handler } from '../protocol/dispatcher';
import type { History } from '../services/history';

/** execute_request: counts, echoes the input, runs, publishes the result or error. */
export function executeHandler(engine: Engine, history: History): Handler {
  let executionCount = 0;
  return async ({ content, output }) => {
    const code = typeof content.code === 'string' ? content.code : '';
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    if (storeHistory) {
      executionCount++;
      history.store(executionCount, code);
    }
    const count = executionCount;
    if (!silent) {
      output.publish('execute_input', { code, execution_count: count });
    }
    // Silent means no output on iopub at all (the spec), but input still works.
    const sink: OutputSink = silent
      ? {
          stream: () => {},
          display: () => {},
          clear: () => {},
          page: () => {},
          input: (p, pw, withdraw) => output.input(p, pw, withdraw),
          room: () => output.room()
        }
      : output;
    const result = await engine.execute(code, sink);
    output.flush();
    if (result.status === 'error') {
      if (!silent) {
        output.publish('error', {
          ename: result.ename,
          evalue: result.evalue,
          traceback: result.traceback
        });
      }
      return {
        status: 'error',
        execution_count: count,
        ename: result.ename,
        evalue: result.evalue,
        traceback: result.traceback
      };
    }
    if (result.value && !silent) {
      output.publish('execute_result', {
        execution_count: count,
        data: result.value,
        metadata: {}
      });
      const text = result.value['text/plain'];
      if (storeHistory && typeof text === 'string') history.setOutput(count, text);
    }
    const userExpressions: JSONObject = {};
    const expressions = content.user_expressions;
    if (expressions && typeof expressions === 'object' && !Array.isArray(expressions)) {
      for (const [name, expr] of Object.entries(expressions)) {
        if (typeof expr !== 'string') continue;
        const r = await engine.evaluate(expr);
        userExpressions[name] =
          r.status === 'ok' ? { status: 'ok', data: r.data, metadata: {} } : { ...r };
      }
    }
    return {
      status: 'ok',
      execution_count: count,
      user_expressions: userExpressions,
      // As IPython's exit: a console that started the kernel closes and shuts
      // it down; JupyterLab and Notebook 7 ignore it.
      payload: result.askExit
        ? [...output.payload, { source: 'ask_exit', keepkernel: false }]
        : output.payload
    };
  };
}
