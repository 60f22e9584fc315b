import debuggerGuard from './plugins/debugger-guard';
import gpu from './plugins/gpu';
import mounts from './plugins/mounts';
import replay from './plugins/replay';
import runs from './plugins/runs';
import services from './plugins/services';
import shellHighlight from './plugins/shell-highlight';
import sixelStream from './plugins/sixel-stream';
import sixelTerminal from './plugins/sixel-terminal';
import staleInput from './plugins/stale-input';
import terminalWidth from './plugins/terminal-width';

export default [
  debuggerGuard,
  services,
  gpu,
  mounts,
  runs,
  replay,
  sixelStream,
  sixelTerminal,
  shellHighlight,
  staleInput,
  terminalWidth
];
