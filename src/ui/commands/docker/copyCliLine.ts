import * as vscode from 'vscode';
import { CLI, cliLines } from '../../../core/docker/cliLine';
import { pluginName } from '../../../core/docker/plugin';
import { testContainerName } from '../../../core/docker/containers';
import { UserError } from '../../../core/errors';
import { CommandContext } from '../../commandContext';
import { ContainerNode } from '../../trees/docker/containerNode';
import { DockerNode } from '../../trees/docker/dockerNode';
import { PluginNode } from '../../trees/docker/pluginNode';
import { VolumeNode } from '../../trees/docker/volumeNode';
import { pluginAlias, pluginReference, testContainerImage } from '../../settings';

/** The `docker` command lines of the actions a node offers, labelled. */
export function nodeCliLines(node: DockerNode): { label: string; line: string }[] {
  const host = node.host;
  const line = (label: string, commands: string[][]) => ({ label, line: cliLines(host, commands) });
  if (node instanceof PluginNode) {
    const p = node.snapshot.plugin;
    if (!p.installed) return [line('Install', CLI.pluginInstall(pluginReference(), pluginAlias()))];
    return [
      line(p.enabled ? 'Disable' : 'Enable', p.enabled ? CLI.pluginDisable(p.name, false) : CLI.pluginEnable(p.name)),
      line('Upgrade', CLI.pluginUpgrade(p.name, pluginReference())),
      line('Inspect', CLI.pluginInspect(p.name)),
      line('List its volumes', CLI.volumeList(p.name)),
    ];
  }
  if (node instanceof VolumeNode) {
    return [
      line('Inspect', CLI.volumeInspect(node.volume.name)),
      line('Run test container', CLI.runTestContainer(node.volume.name, testContainerImage(), testContainerName(node.volume.name))),
      line('Remove', CLI.volumeRemove(node.volume.name)),
    ];
  }
  if (node instanceof ContainerNode) {
    return [line('Stop', CLI.containerStop(node.container.name)), line('Remove', CLI.containerRemove(node.container.name))];
  }
  return [line('Version and plugins', CLI.info()), line('vsphere volumes', CLI.volumeList(pluginName(pluginAlias())))];
}

/** "Copy CLI Line": the equivalent `docker` command of one of the node's actions, to the clipboard. */
export async function copyCliLine(ctx: CommandContext, node?: DockerNode): Promise<string | undefined> {
  if (!node) throw new UserError('Copy CLI Line works on a node of the Docker Hosts view.', undefined, 'NO_NODE');
  const lines = nodeCliLines(node);
  const picked =
    lines.length === 1
      ? lines[0].line
      : await ctx.ui.pick({
          id: 'cliLine',
          title: 'Copy CLI Line',
          step: 1,
          totalSteps: 1,
          placeholder: 'Which action?',
          items: lines.map((l) => ({ label: l.label, detail: l.line, value: l.line })),
        });
  if (typeof picked !== 'string') return undefined;
  await vscode.env.clipboard.writeText(picked);
  void vscode.window.setStatusBarMessage(`Copied: ${picked}`, 4000);
  return picked;
}
