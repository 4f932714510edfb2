import { createConnection, createServer, Server, Socket } from 'node:net';

/**
 * A unix-socket proxy in front of the lab's real dockerd that makes one kind of request stall, as a
 * stuck daemon or volume plugin does: after `afterBytes` of the body of an archive GET it forwards
 * nothing more (and stops reading the daemon), or after `afterBytes` of an archive PUT's body it
 * stops reading the client, until release(). Every other request (create, exec, start, remove)
 * passes untouched.
 */
export class StallingProxy {
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<Socket>();
  private released = false;
  stalls = 0;

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {}

  static async start(path: string, upstream: string, stall: 'archive-get' | 'archive-put', afterBytes = 256 << 10): Promise<StallingProxy> {
    let proxy: StallingProxy | undefined;
    const server = createServer((client) => {
      const daemon = createConnection(upstream);
      proxy!.sockets.add(client).add(daemon);
      let doomed = false;
      let passed = 0;
      client.on('data', (chunk: Buffer) => {
        if (
          !doomed &&
          new RegExp(`^${stall === 'archive-get' ? 'GET' : 'PUT'} [^ ]*/containers/[^/ ]+/archive`, 'm').test(chunk.toString('latin1'))
        ) {
          doomed = true;
          passed = 0;
        }
        if (doomed && stall === 'archive-put') {
          passed += chunk.length;
          if (passed > afterBytes && !proxy!.released) {
            proxy!.stalls++;
            proxy!.hold(client); // the daemon "stops reading": the client's writes back up
          }
        }
        daemon.write(chunk);
      });
      daemon.on('data', (chunk: Buffer) => {
        if (doomed && stall === 'archive-get') {
          passed += chunk.length;
          if (passed > afterBytes && !proxy!.released) {
            proxy!.stalls++;
            proxy!.hold(daemon); // the daemon "stops sending"
          }
        }
        client.write(chunk);
      });
      const end = () => {
        client.destroy();
        daemon.destroy();
      };
      client.on('close', end).on('error', end);
      daemon.on('close', end).on('error', end);
    });
    proxy = new StallingProxy(path, server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
    return proxy;
  }

  private hold(socket: Socket): void {
    socket.pause();
    this.held.add(socket);
  }

  /** Lets the held streams go on (the chunk that stalled them is delivered), and stalls nothing more. */
  release(): void {
    this.released = true;
    for (const s of this.held) s.resume();
    this.held.clear();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
