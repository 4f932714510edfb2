import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, createServer, request, RequestOptions, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ownAgent } from '../../src/core/ownAgent';

/**
 * ownAgent's marker socketPath is what VS Code's proxy support leaves alone; the agent must still
 * connect by host and port (Node's Agent would hand the marker to net.connect as a Unix socket path).
 */
describe('ownAgent: requests keep our agent and still reach host:port', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => res.end(`${req.method} ${req.url} host=${req.headers.host}`));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const get = (options: RequestOptions) =>
    new Promise<string>((resolve, reject) => {
      const req = request(options, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });

  it('marks the request with a socketPath and connects through the agent to host:port', async () => {
    const agent = new Agent({ keepAlive: true });
    const connects: unknown[] = [];
    const create = agent.createConnection.bind(agent);
    agent.createConnection = (options: { path?: string; host?: string; port?: number }, cb: never) => {
      connects.push({ path: options.path, host: options.host, port: options.port });
      return create(options, cb);
    };
    const options = ownAgent(agent);
    assert.equal(options.agent, agent);
    assert.ok(options.socketPath, 'a socketPath marks the request for VS Code to pass it through');
    try {
      assert.equal(await get({ ...options, host: '127.0.0.1', port, path: '/a?b=1' }), `GET /a?b=1 host=127.0.0.1:${port}`);
      // a second call on the same agent (already wrapped) reuses the kept-alive socket
      assert.equal(await get({ ...ownAgent(agent), host: '127.0.0.1', port, path: '/c' }), `GET /c host=127.0.0.1:${port}`);
      assert.deepEqual(connects, [{ path: undefined, host: '127.0.0.1', port }]);
    } finally {
      agent.destroy();
    }
  });

  it('leaves a real socketPath of a request without the marker to the agent', async () => {
    const agent = new Agent();
    ownAgent(agent);
    try {
      await assert.rejects(get({ agent, socketPath: '/nonexistent/h8-docker.sock', path: '/' }), { code: 'ENOENT' });
    } finally {
      agent.destroy();
    }
  });
});
