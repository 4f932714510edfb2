import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../src/core/abort';
import { DockerConnection } from '../../src/core/docker/connection';
import { daemonMessage, DockerError, statusCode } from '../../src/core/docker/dockerErrors';

/** A fake Engine on a unix socket: records each request and the connections it was sent on. */
describe('DockerConnection.dial over its keep-alive transport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdvs-api-'));
  const socketPath = join(dir, 'docker.sock');
  let server: Server;
  let connections = 0;
  const seen: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
  const open = () => DockerConnection.open({ id: 'fake', name: 'fake', endpoint: `unix://${socketPath}` }, { timeoutMs: 5_000 });

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
        const url = new URL(req.url ?? '/', 'http://engine');
        if (url.pathname === '/volumes/missing') {
          res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'get missing: no such volume' }));
        } else if (url.pathname === '/plain-error') {
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('plugin exploded');
        } else if (url.pathname === '/events') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write('{"Type":"volume"}\n');
          // never ends: the reader closes it
        } else if (url.pathname === '/slow') {
          // never answers
        } else if (url.pathname === '/containers/x/start') {
          res.writeHead(304).end();
        } else {
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ path: url.pathname, query: Object.fromEntries(url.searchParams) }));
        }
      });
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends requests one after another on one connection, as the docker CLI does', async () => {
    const conn = await open();
    try {
      connections = 0;
      for (let i = 0; i < 20; i++) await conn.dial('Inspecting', { method: 'GET', path: `/volumes/v${i}` });
      assert.equal(connections, 1);
    } finally {
      conn.close();
    }
  });

  it('encodes the query as the Engine expects: filters as JSON, plain values as text', async () => {
    const conn = await open();
    try {
      const answer = await conn.dial<{ path: string; query: Record<string, string> }>('Listing', {
        method: 'GET',
        path: '/volumes',
        query: { filters: { driver: ['vsphere:latest'] }, force: true, t: 5 },
      });
      assert.deepEqual(answer, { path: '/volumes', query: { filters: '{"driver":["vsphere:latest"]}', force: 'true', t: '5' } });
    } finally {
      conn.close();
    }
  });

  it('sends a JSON body only when there is one', async () => {
    const conn = await open();
    try {
      seen.length = 0;
      await conn.dial('Creating', { method: 'POST', path: '/volumes/create', body: { Name: 'v', DriverOpts: { size: '1gb' } } });
      await conn.dial('Enabling', { method: 'POST', path: '/plugins/p/enable', query: { timeout: 30 } });
      assert.deepEqual(
        seen.map((s) => [s.type, s.body]),
        [
          ['application/json', '{"Name":"v","DriverOpts":{"size":"1gb"}}'],
          [undefined, ''],
        ],
      );
    } finally {
      conn.close();
    }
  });

  it('accepts the statuses the caller lists', async () => {
    const conn = await open();
    try {
      await conn.dial('Starting', { method: 'POST', path: '/containers/x/start', ok: [204, 304] });
      await assert.rejects(
        conn.dial('Starting', { method: 'POST', path: '/containers/x/start' }),
        (err: unknown) => statusCode(err) === 304,
      );
    } finally {
      conn.close();
    }
  });

  it("reports the daemon's message and status, JSON or plain text", async () => {
    const conn = await open();
    try {
      await assert.rejects(conn.dial('Inspecting volume missing', { method: 'GET', path: '/volumes/missing' }), (err: unknown) => {
        assert.ok(err instanceof DockerError);
        assert.equal(err.code, 'NOT_FOUND');
        assert.equal(daemonMessage(err), 'get missing: no such volume');
        assert.match(err.message, /Inspecting volume missing failed on .*: get missing: no such volume/);
        return true;
      });
      await assert.rejects(
        conn.dial('Calling', { method: 'GET', path: '/plain-error' }),
        (err: unknown) => statusCode(err) === 500 && daemonMessage(err) === 'plugin exploded',
      );
    } finally {
      conn.close();
    }
  });

  it('hands over the response stream for the reader to end', async () => {
    const conn = await open();
    try {
      const stream = await conn.dial<Readable>('Following events', { method: 'GET', path: '/events', stream: true });
      const [first] = (await once(stream, 'data')) as [Buffer];
      assert.equal(first.toString('utf8'), '{"Type":"volume"}\n');
      // the deadline covers the wait for the headers only: a long stream is the reader's to end
      const closed = once(stream, 'close');
      stream.destroy();
      await closed;
    } finally {
      conn.close();
    }
  });

  it('gives up at the deadline and on cancellation', async () => {
    const conn = await DockerConnection.open({ id: 'fake', name: 'fake', endpoint: `unix://${socketPath}` }, { timeoutMs: 200 });
    try {
      await assert.rejects(
        conn.dial('Waiting', { method: 'GET', path: '/slow' }),
        (err: unknown) => err instanceof Error && (err as { code?: string }).code === 'TIMEOUT',
      );
      const cancel = new AbortController();
      const pending = conn.dial('Waiting', { method: 'GET', path: '/slow' }, { signal: cancel.signal, timeoutMs: 60_000 });
      cancel.abort();
      await assert.rejects(pending, CancelledError);
    } finally {
      conn.close();
    }
  });

  it('says the daemon is unreachable when nothing listens on the socket', async () => {
    const conn = await DockerConnection.open(
      { id: 'gone', name: 'gone', endpoint: `unix://${join(dir, 'none.sock')}` },
      { timeoutMs: 5_000 },
    );
    try {
      await assert.rejects(
        conn.dial('Listing volumes', { method: 'GET', path: '/volumes' }),
        (err: unknown) => err instanceof DockerError && err.code === 'DAEMON_UNREACHABLE',
      );
    } finally {
      conn.close();
    }
  });
});
