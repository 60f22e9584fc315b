import gpu from './plugins/gpu';
import services from './plugins/services';
import sixelStream from './plugins/sixel-stream';
import sixelTerminal from './plugins/sixel-terminal';

export default [services, gpu, sixelStream, sixelTerminal];
