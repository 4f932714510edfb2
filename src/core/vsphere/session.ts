import { existsSync } from 'node:fs';
import * as https from 'node:https';
import { dirname, join } from 'node:path';
import type { Client } from 'soap';
import { withDeadline } from '../abort';
import { UserError } from '../errors';
import { ownAgent } from '../ownAgent';
import { redact } from '../redact';
import { faultFrom, transportError, VimFault } from './faults';
import { arr, at, moRefArg, MoRef, ref, str } from './normalize';
import type { FolderAccessSpec } from './datastoreFiles';
import { PinnedAgent, TlsTrust } from './tls';

/** What is needed to log in to an ESXi host or a vCenter; built from an EsxiHostConfig + secret. */
export interface VsphereConnectOptions extends TlsTrust {
  /** https://host/sdk */
  url: string;
  user: string;
  password: string;
  /** Per-call timeout. */
  timeoutMs: number;
  /** Idle time after which a cheap call keeps the session alive; 0 disables. Default 10 min. */
  keepAliveMs?: number;
  /** Debug lines (operation names, re-logins); never contains secrets. */
  log?: (line: string) => void;
}

/** The parts of ServiceContent the extension uses. */
export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  /** FileManager, to delete datastore files (absent on a server without one). */
  fileManager?: MoRef;
  /** "HostAgent" for ESXi, "VirtualCenter" for vCenter. */
  apiType: string;
  fullName: string;
  apiVersion: string;
}

const SERVICE_INSTANCE: MoRef = { type: 'ServiceInstance', value: 'ServiceInstance' };
const COOKIE = 'vmware_soap_session';

/**
 * A logged-in vim25 session over npm soap. Keeps the `vmware_soap_session` cookie, re-logs in once
 * when a call fails with NotAuthenticated (session expired or dropped), applies the per-call timeout
 * and caller cancellation, and counts requests (tests check the one-round-trip-per-level rule).
 */
export class VsphereSession {
  /** Requests sent, in total and per operation. */
  readonly stats = { requests: 0, byOperation: {} as Record<string, number> };
  /** Per-session cache owned by higher layers (container views); cleared on re-login and close. */
  readonly sessionCache = new Map<string, unknown>();
  private cookie?: string;
  private relogin?: Promise<void>;
  private lastUse = Date.now();
  private keepAlive?: NodeJS.Timeout;
  private closed = false;

  /** axios' transport for the SOAP calls: its own socketPath option would drop the host, so ownAgent is added here. */
  private readonly transport = {
    request: (options: https.RequestOptions, callback: (res: import('node:http').IncomingMessage) => void) =>
      https.request({ ...options, ...ownAgent(this.agent) }, callback),
  };

  private constructor(
    private readonly client: Client,
    private readonly agent: PinnedAgent,
    private readonly options: VsphereConnectOptions,
    readonly serviceContent: ServiceContent,
  ) {}

  /** Connects, checks TLS (pinning), reads ServiceContent and logs in. */
  static async open(options: VsphereConnectOptions, signal?: AbortSignal): Promise<VsphereSession> {
    const url = validateUrl(options.url);
    const client = await createSoapClient(url);
    const agent = new PinnedAgent(options, options.timeoutMs);
    let session: VsphereSession | undefined;
    try {
      const probe = new VsphereSession(client, agent, options, undefined as unknown as ServiceContent);
      const [sc] = await probe.call('RetrieveServiceContent', { _this: moRefArg(SERVICE_INSTANCE) }, signal);
      session = new VsphereSession(client, agent, options, parseServiceContent(sc));
      session.stats.requests = probe.stats.requests;
      session.stats.byOperation = probe.stats.byOperation;
      client.on('response', (_body: unknown, response: { headers?: Record<string, unknown> } | undefined) =>
        session?.captureCookie(response?.headers),
      );
      await session.login(signal);
      session.startKeepAlive();
      return session;
    } catch (err) {
      agent.destroy();
      throw err;
    }
  }

  get host(): string {
    return new URL(this.options.url).host;
  }

  get isVcenter(): boolean {
    return this.serviceContent.apiType === 'VirtualCenter';
  }

  /**
   * The pinned (or CA-verified) agent, never swapped by VS Code (ownAgent), and session cookie, for /folder transfers on the same session.
   */
  httpOptions(): { agent: PinnedAgent; socketPath: string; headers: Record<string, string> } {
    return { ...ownAgent(this.agent), headers: this.cookie ? { Cookie: this.cookie } : {} };
  }

  /** The same /folder access as plain data for a worker thread, which builds its own pinned agent. Holds the cookie: never log it. */
  folderAccessSpec(): FolderAccessSpec {
    const { thumbprint, caBundlePath } = this.options;
    return {
      url: this.url,
      host: this.host,
      timeoutMs: this.timeoutMs,
      trust: { thumbprint, caBundlePath },
      headers: this.httpOptions().headers,
    };
  }

  get url(): string {
    return this.options.url;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * Calls a vim25 operation of resources/vim25/vimService.wsdl and returns its `returnval`s. A
   * NotAuthenticated fault triggers one transparent re-login and retry.
   */
  async invoke(operation: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown[]> {
    try {
      return await this.call(operation, args, signal);
    } catch (err) {
      if (!(err instanceof VimFault) || err.faultName !== 'NotAuthenticated' || this.closed) throw err;
      this.options.log?.(`${this.host}: session lost (${operation} → NotAuthenticated), logging in again`);
      this.relogin ??= this.login(signal).finally(() => (this.relogin = undefined));
      await this.relogin;
      return this.call(operation, args, signal);
    }
  }

  /** Logs out (best effort) and frees sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.sessionCache.clear();
    try {
      await this.call('Logout', { _this: moRefArg(this.serviceContent.sessionManager) });
    } catch {
      // the session may already be gone; nothing to undo
    } finally {
      this.agent.destroy();
    }
  }

  private async login(signal?: AbortSignal): Promise<void> {
    this.cookie = undefined;
    this.sessionCache.clear();
    try {
      await this.call(
        'Login',
        { _this: moRefArg(this.serviceContent.sessionManager), userName: this.options.user, password: this.options.password },
        signal,
      );
    } catch (err) {
      if (err instanceof VimFault && err.faultName === 'InvalidLogin') {
        throw new UserError(
          `Login to ${this.host} as ${this.options.user} failed: wrong user name or password.`,
          'Re-enter the password.',
          'INVALID_LOGIN',
        );
      }
      throw err;
    }
    if (!this.cookie)
      throw new UserError(
        `${this.host} did not return a ${COOKIE} cookie after login.`,
        'Check that the URL points at the /sdk endpoint.',
        'NO_SESSION',
      );
  }

  private captureCookie(headers: Record<string, unknown> | undefined): void {
    for (const line of arr<string>(headers?.['set-cookie'])) {
      const match = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]*)`).exec(String(line));
      if (match) {
        this.cookie = `${COOKIE}=${match[1]}`;
        this.client.addHttpHeader('Cookie', this.cookie);
      }
    }
  }

  private async call(operation: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<unknown[]> {
    const method = (this.client as unknown as Record<string, (a: unknown, o: unknown) => Promise<[unknown]>>)[`${operation}Async`];
    if (!method) throw new Error(`vim25 operation ${operation} is not in resources/vim25/vimService.wsdl`);
    this.stats.requests++;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
    this.lastUse = Date.now();
    const timeoutMs = this.options.timeoutMs;
    return withDeadline(
      `${this.host} (${operation})`,
      timeoutMs,
      async (inner) => {
        try {
          const [result] = await method.call(this.client, args, {
            httpsAgent: this.agent,
            transport: this.transport,
            signal: inner,
            timeout: timeoutMs,
          });
          return arr(at(result, 'returnval'));
        } catch (err) {
          const fault = faultFrom(err, operation);
          if (fault) {
            if (fault.faultName !== 'NotAuthenticated' && fault.faultName !== 'InvalidLogin')
              this.options.log?.(`${this.host}: ${redact(fault.message, [this.options.password])}`);
            throw fault;
          }
          throw transportError(err, this.host);
        }
      },
      signal,
    );
  }

  /**
   * The cheapest call there is (CurrentTime): whether the host still answers (a lost session logs in
   * again), within `timeoutMs` (default: the session's request timeout).
   */
  async ping(timeoutMs = this.options.timeoutMs): Promise<void> {
    await withDeadline(`${this.host} (CurrentTime)`, timeoutMs, (signal) =>
      this.invoke('CurrentTime', { _this: moRefArg(SERVICE_INSTANCE) }, signal),
    );
  }

  private startKeepAlive(): void {
    const every = this.options.keepAliveMs ?? 10 * 60_000;
    if (!every) return;
    this.keepAlive = setInterval(() => {
      if (Date.now() - this.lastUse < every * 0.9) return;
      this.ping().catch((err) => this.options.log?.(`${this.host}: keep-alive failed: ${(err as Error).message}`));
    }, every);
    this.keepAlive.unref();
  }
}

function validateUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`"${text}" is not a URL.`, 'Use https://host/sdk (the ESXi host or vCenter name or address).', 'BAD_URL');
  }
  if (url.protocol !== 'https:')
    throw new UserError(`${text} does not use https.`, 'vSphere is reached over https: use https://host/sdk.', 'BAD_URL');
  if (url.username || url.password) throw new UserError('Put the user name in its own field, not in the URL.', undefined, 'BAD_URL');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/sdk';
  return url.toString();
}

/** Where resources/ is, from dist/ (bundles) or out/src/core/vsphere/ (compiled tests). */
function wsdlPath(): string {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'resources', 'vim25', 'vimService.wsdl');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`resources/vim25/vimService.wsdl not found above ${__dirname}`);
}

/** A soap client for the shipped WSDL subset; npm soap caches the parsed WSDL, so later ones are cheap. */
export async function createSoapClient(endpoint: string): Promise<Client> {
  const soap = await import('soap');
  const client = await soap.createClientAsync(wsdlPath(), { endpoint, returnFault: true });
  return client;
}

function parseServiceContent(sc: unknown): ServiceContent {
  const need = (name: string): MoRef => {
    const r = ref(at(sc, name));
    if (!r) throw new UserError(`The server's ServiceContent has no ${name}: is this a vSphere /sdk endpoint?`, undefined, 'NOT_VSPHERE');
    return r;
  };
  return {
    rootFolder: need('rootFolder'),
    propertyCollector: need('propertyCollector'),
    viewManager: need('viewManager'),
    sessionManager: need('sessionManager'),
    ...(ref(at(sc, 'fileManager')) ? { fileManager: ref(at(sc, 'fileManager')) } : {}),
    apiType: str(at(sc, 'about', 'apiType')) ?? '',
    fullName: str(at(sc, 'about', 'fullName')) ?? '',
    apiVersion: str(at(sc, 'about', 'apiVersion')) ?? '',
  };
}
