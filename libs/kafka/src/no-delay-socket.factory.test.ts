import * as net from 'node:net';
import { noDelaySocketFactory } from './no-delay-socket.factory';

describe('noDelaySocketFactory', () => {
  it('connects with Nagle turned off', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const setNoDelay = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      const socket = noDelaySocketFactory({ host: '127.0.0.1', port, ssl: null as never, onConnect: () => undefined });
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      expect(setNoDelay).toHaveBeenCalledWith(true);
      socket.destroy();
    } finally {
      setNoDelay.mockRestore();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
