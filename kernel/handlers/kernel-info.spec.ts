import { Dispatcher } from '../protocol/dispatcher';
import { MemoryTransport } from '../protocol/memory-transport';
import { MessageFactory, PROTOCOL_VERSION } from '../protocol/message';
import { kernelInfo, kernelInfoHandler } from './kernel-info';

test.each(['typescript', 'javascript'] as const)(
  'kernel_info_reply for %s names the protocol, the language and no debugger',
  async (language) => {
    const transport = new MemoryTransport();
    const dispatcher = new Dispatcher(transport, new MessageFactory(), () => {});
    dispatcher.register('kernel_info_request', kernelInfoHandler(kernelInfo(language)));
    const reply = await transport.reply(transport.request('kernel_info_request'));
    expect(reply.header.msg_type).toBe('kernel_info_reply');
    expect(reply.content).toMatchObject({
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: 'warren',
      language_info: { name: language, codemirror_mode: language },
      supported_features: ['iopub_welcome'],
      debugger: false
    });
  }
);
