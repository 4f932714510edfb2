import * as vscode from 'vscode';
import { MessageNode } from '../treeBase';

/** A top-level error or note of the Volumes view, with the action that helps (the click and its title). */
export class VolumesMessageNode extends MessageNode<never> {
  constructor(id: string, text: string, detail: string, severity: 'error' | 'info', action?: vscode.Command) {
    super(id, text, {
      icon: severity,
      tooltip: detail,
      description: action?.title,
      command: action,
      contextValue: `vdvs.volumes.message.${severity}`,
    });
  }
}
