import * as vscode from 'vscode';

/**
 * Asks the user to trust an unknown certificate or host key, showing its SHA-256 fingerprint.
 * Returns true only on an explicit "Trust"; the caller pins the fingerprint then.
 */
export async function confirmFingerprint(what: string, fingerprint: string, detail?: string): Promise<boolean> {
  const trust = 'Trust and Pin';
  const pick = await vscode.window.showWarningMessage(
    `${what} is not known yet. Its SHA-256 fingerprint is ${fingerprint}. Compare it with the one the host shows before you trust it.`,
    { modal: true, detail },
    trust,
  );
  return pick === trust;
}
