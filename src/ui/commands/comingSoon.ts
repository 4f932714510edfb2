import * as vscode from 'vscode';

/** Placeholder for a command whose feature has not landed yet; welcome buttons point at it. */
export function comingSoon(feature: string) {
  return () => vscode.window.showInformationMessage(`${feature}: coming soon in vSphere Docker Volumes.`);
}
