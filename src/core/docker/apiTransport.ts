import * as http from 'node:http';
import * as https from 'node:https';
import { stringify } from 'node:querystring';
import type { Readable } from 'node:stream';
import { ownAgent } from '../ownAgent';

/** How one Docker host's Engine API is reached: the socket or address, and the agent that pools connections. */
export interface ApiTransport {
  agent: http.Agent;
  /** tcp+TLS: the client certificate and CAs (on the agent) */
  tls?: https.AgentOptions;
  /** unix:// hosts */
  socketPath?: string;
  /** tcp:// and ssh:// hosts (ssh: only the request URL; the agent makes the channel) */
  host?: string;
  port?: number;
}

/** One Engine API request; see DockerConnection.dial. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  path: string;
  query?: Record<string, string | number | boolean | object>;
  body?: unknown;
  ok?: number[];
  stream?: boolean;
}

/** A refused call, shaped like docker-modem's errors (statusCode, json) so dockerErrors.ts reads both alike. */
export interface ApiStatusError extends Error {
  statusCode: number;
  json: unknown;
}

/**
 * A keep-alive agent per connection, as the docker CLI keeps one connection: a refresh of 1,000
 * volumes then costs 1,000 requests, not 1,000 connects (and TLS handshakes), whatever replaced
 * http.globalAgent in the extension host.
 */
export function keepAliveAgent(tls?: https.AgentOptions): http.Agent {
  return tls ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
}

/**
 * Sends one request over the transport's agent and resolves with the parsed JSON body (or the
 * response stream). Not through docker-modem's dial: that formats every request's options,
 * agent and sockets included, with util.inspect (showHidden, depth null) for its debug log even
 * when the log is off, which measured ~1 ms per request and grows with the agent's sockets.
 */
export function apiRequest<T>(transport: ApiTransport, req: ApiRequest, signal: AbortSignal): Promise<T> {
  // docker-modem's query encoding, which the Engine expects: objects (filters) as JSON, arrays repeated
  const query = Object.fromEntries(
    Object.entries(req.query ?? {}).map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v) : v]),
  ) as Record<string, string>;
  const search = stringify(query);
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  const headers: http.OutgoingHttpHeaders =
    body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  const options: http.RequestOptions = {
    method: req.method,
    path: search ? `${req.path}?${search}` : req.path,
    headers,
    signal,
    // tcp and ssh: ownAgent keeps VS Code's proxy support from swapping the agent (its certificates, the SSH channel)
    ...(transport.socketPath
      ? { agent: transport.agent, socketPath: transport.socketPath }
      : { ...ownAgent(transport.agent), host: transport.host, port: transport.port }),
  };
  const ok = req.ok ?? [200, 201, 204];
  return new Promise<T>((resolve, reject) => {
    const request = (transport.tls ? https : http).request(options, (res) => {
      if (req.stream && ok.includes(res.statusCode ?? 0)) {
        resolve(res as Readable as T);
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json = parseJson(text);
        if (ok.includes(res.statusCode ?? 0)) resolve((json ?? text) as T);
        else reject(statusError(res.statusCode ?? 0, json ?? text));
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function statusError(statusCode: number, json: unknown): ApiStatusError {
  const cause =
    json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string'
      ? (json as { message: string }).message
      : typeof json === 'string'
        ? json
        : JSON.stringify(json ?? '');
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${cause} `), { statusCode, json });
}
