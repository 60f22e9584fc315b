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
    let result = await engine.execute(code, sink, {
      label: storeHistory ? `In[${count}]` : 'In[ ]'
    });
    output.flush();
    if (result.status === 'ok' && result.value && !silent) {
      try {
        output.publish('execute_result', {
          execution_count: count,
          data: result.value,
          metadata: {}
        });
      } catch (error) {
        // A value JSON cannot hold (a cycle, a BigInt in application/json)
        // fails the cell where the user sees it, rather than no output at all.
        result = Private.unsendable(error, "the cell's value");
      }
    }
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
      const text = result.value['text/plain'];
      if (storeHistory && typeof text === 'string') history.setOutput(count, text);
    }
    const userExpressions: JSONObject = {};
    const expressions = content.user_expressions;
    if (expressions && typeof expressions === 'object' && !Array.isArray(expressions)) {
      for (const [name, expr] of Object.entries(expressions)) {
        if (typeof expr !== 'string') continue;
        const r = await engine.evaluate(expr);
        const entry: JSONObject =
          r.status === 'ok' ? { status: 'ok', data: r.data, metadata: {} } : { ...r };
        userExpressions[name] = Private.sendable(entry, `user expression ${name}`);
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

namespace Private {
  /** A cell whose value could not be sent, as the error the user reads. */
  export function unsendable(error: unknown, what: string) {
    const e = error instanceof Error ? error : new Error(String(error));
    const evalue = `${what} could not be sent: ${e.message}`;
    return {
      status: 'error' as const,
      ename: e.name,
      evalue,
      traceback: [`${e.name}: ${evalue}`]
    };
  }

  /** A user expression's entry, or (as ipykernel's) an error entry when JSON cannot hold it. */
  export function sendable(entry: JSONObject, what: string): JSONObject {
    try {
      JSON.stringify(entry);
      return entry;
    } catch (error) {
      const { ename, evalue, traceback } = unsendable(error, `the value of ${what}`);
      return { status: 'error', ename, evalue, traceback };
    }
  }
}
