import type { Agent } from 'node:http';

/**
 * Request options that keep OUR agent (pinned TLS to ESXi/vCenter, SSH dial-stdio to Docker hosts,
 * keep-alive pools) inside VS Code. VS Code patches http(s).request/get for extensions
 * (@vscode/proxy-agent, setting http.proxySupport, default "override"): for any host but
 * localhost/127.0.0.1 it replaces the request's `agent` with its own, which falls back to
 * http(s).globalAgent when there is no proxy, so a pinned self-signed ESXi was refused and an ssh://
 * Docker host got plain TCP to its SSH port. That patch leaves requests with a `socketPath` untouched,
 * so ours carry a marker socketPath that the agent ignores (Node's Agent hands it to createConnection
 * as `path`, which would otherwise make net/tls connect to a Unix socket).
 */
export function ownAgent<A extends Agent>(agent: A): { agent: A; socketPath: string } {
  if (!marked.has(agent)) {
    marked.add(agent);
    const target = agent as unknown as { createConnection: (options: Record<string, unknown>, callback?: unknown) => unknown };
    const create = target.createConnection;
    target.createConnection = function (this: Agent, options, callback) {
      const { socketPath, path, ...rest } = options;
      return create.call(this, socketPath === OWN_AGENT_MARKER || path === OWN_AGENT_MARKER ? rest : options, callback);
    };
  }
  return { agent, socketPath: OWN_AGENT_MARKER };
}

/** Not a socket: only marks a request whose agent connects by host and port itself. */
const OWN_AGENT_MARKER = 'vdvs-own-agent';
const marked = new WeakSet<Agent>();
