import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { DockerHostConfig, newHostId } from '../../../core/config';
import { dockerConfigDir, scanDockerContexts } from '../../../core/docker/contexts';
import { parseEndpoint } from '../../../core/docker/endpoint';
import { probeHostKey } from '../../../core/ssh/connect';
import { UserError } from '../../../core/errors';
import { requestTimeoutMs } from '../../services';
import { CommandContext, CommandInput } from '../../commandContext';
import { confirmFingerprint } from '../../prompts';

/** What a test or automation may give: the contexts to import (no dialog) and where to read them. */
interface ImportInput extends CommandInput {
  names?: string[];
  configDir?: string;
}

/**
 * "Import Docker Contexts": the docker CLI's contexts (~/.docker/contexts, or $DOCKER_CONFIG) as
 * hosts; ssh ones get their host key confirmed and pinned. `input.names` picks without the dialog.
 * Resolves with the hosts added.
 */
export async function importContexts(ctx: CommandContext<ImportInput>): Promise<DockerHostConfig[]> {
  const { services, input } = ctx;
  const scan = await scanDockerContexts(input.configDir ?? dockerConfigDir(process.env, homedir()));
  for (const s of scan.skipped) services.log.warn(`Import Docker Contexts: skipped ${s.name}: ${s.reason}`);
  const known = new Set(
    services.hosts
      .list('docker')
      .map((h) => h.contextName)
      .filter(Boolean),
  );
  const candidates = scan.contexts.filter((c) => !known.has(c.name));
  if (!candidates.length) {
    throw new UserError(
      `No docker context to import from ${scan.configDir}${scan.skipped.length ? ` (${scan.skipped.length} skipped, see the log)` : ''}.`,
      'Create one with `docker context create`, or add the host directly.',
      'NO_CONTEXTS',
    );
  }
  const picked =
    input.names ??
    (
      await vscode.window.showQuickPick(
        candidates.map((c) => ({
          label: c.name,
          description: c.endpoint,
          detail: [
            c.description,
            c.current ? 'current context' : '',
            c.skipTlsVerify ? 'asks to skip TLS verification: imported WITH verification' : '',
          ]
            .filter(Boolean)
            .join(' · '),
          picked: c.current,
        })),
        { canPickMany: true, title: 'Import Docker Contexts', placeHolder: 'Contexts to add as Docker hosts' },
      )
    )?.map((p) => p.label);
  if (!picked?.length) return [];
  const added: DockerHostConfig[] = [];
  for (const c of candidates.filter((x) => picked.includes(x.name))) {
    const host: DockerHostConfig = {
      id: newHostId(),
      name: c.name,
      endpoint: c.endpoint,
      contextName: c.name,
      ...(c.tlsCertPath ? { tlsCertPath: c.tlsCertPath } : {}),
    };
    const ep = parseEndpoint(c.endpoint);
    if (ep.kind === 'ssh') {
      const fingerprint = await probeHostKey(ep.host, ep.port, requestTimeoutMs()).catch(() => undefined);
      if (fingerprint) {
        const trusted = await confirmFingerprint(ctx.ui, `The SSH host key of ${ep.host}:${ep.port} (context ${c.name})`, fingerprint);
        if (!trusted) continue;
        host.sshHostKeyFingerprint = fingerprint;
      }
    }
    await services.hosts.save('docker', host);
    added.push(host);
  }
  services.log.info(`Imported docker contexts: ${added.map((h) => h.name).join(', ') || 'none'}`);
  return added;
}
