import { EsxiHostConfig } from '../../../core/config';
import { CommandContext, CommandInput } from '../../commandContext';
import { Prompter } from '../../prompter';
import { hostForm, HostFormInput } from './hostForm';

/**
 * Adds an ESXi host or vCenter. With GOVC_URL set in the environment it first offers to take URL,
 * user and password from GOVC_URL/GOVC_USERNAME/GOVC_PASSWORD. `input` answers the form (automation).
 */
export async function addHost({ services, ui, input }: CommandContext<CommandInput & HostFormInput>): Promise<EsxiHostConfig | undefined> {
  const answered = (['url', 'user', 'password', 'name', 'trustThumbprint'] as const).some((k) => input[k] !== undefined);
  const preset = answered ? input : await govcPreset(ui);
  const host = await hostForm(services, ui, undefined, preset);
  if (host) void ui.notify('info', `Added ${host.name}.`);
  return host;
}

async function govcPreset(ui: Prompter): Promise<HostFormInput> {
  const env = process.env;
  if (!env.GOVC_URL) return {};
  const importIt = 'Import';
  const pick = await ui.notify(
    'info',
    `GOVC_URL is set (${redactedGovcUrl(env.GOVC_URL)}). Use GOVC_URL, GOVC_USERNAME and GOVC_PASSWORD for the new host?`,
    importIt,
    'Enter Manually',
  );
  if (pick !== importIt) return {};
  return govcInput(env);
}

/** GOVC_URL may be a bare host or carry user:password@; GOVC_USERNAME/GOVC_PASSWORD win. */
export function govcInput(env: NodeJS.ProcessEnv): HostFormInput {
  const raw = env.GOVC_URL ?? '';
  let url = raw;
  let user: string | undefined;
  let password: string | undefined;
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `https://${raw}`);
    user = u.username ? decodeURIComponent(u.username) : undefined;
    password = u.password ? decodeURIComponent(u.password) : undefined;
    u.username = '';
    u.password = '';
    url = u.toString();
  } catch {
    // left as typed: the form validates it
  }
  return { url, user: env.GOVC_USERNAME || user, password: env.GOVC_PASSWORD || password };
}

function redactedGovcUrl(raw: string): string {
  return raw.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@').replace(/^([^:@/]+):[^@/]*@/, '$1:***@');
}
