import { Prompter } from './prompter';

export const DONT_TRUST = "Don't trust";
export const TRUST_AND_PIN = 'Trust and Pin';

/**
 * Asks the user to trust an unknown certificate or host key, showing its SHA-256 fingerprint. A pick,
 * not a modal: its first, preselected item is "Don't trust", so an Enter meant for the next input box
 * refuses (a modal's default button pinned a certificate nobody had looked at, issue 18). Returns true
 * only when "Trust and Pin" is chosen; the caller pins the fingerprint then.
 */
export async function confirmFingerprint(ui: Pick<Prompter, 'pick'>, what: string, fingerprint: string, detail?: string): Promise<boolean> {
  const answer = await ui.pick<boolean>({
    id: 'trust',
    title: `${what} is not known yet`,
    step: 1,
    totalSteps: 1,
    placeholder: 'Compare the SHA-256 fingerprint below with the one the host shows',
    items: [
      { label: DONT_TRUST, detail: detail ?? 'Nothing is pinned or saved.', value: false, picked: true },
      { label: TRUST_AND_PIN, description: 'pinned: a different one is refused later', detail: fingerprint, value: true },
    ],
  });
  return answer === true;
}
