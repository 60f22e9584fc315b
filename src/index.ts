import gpu from './plugins/gpu';
import services from './plugins/services';

export default [services, gpu];
