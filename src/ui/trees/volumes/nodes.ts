import type { GroupNode } from './groupNode';
import type { VolumeNode } from './volumeNode';
import type { ContainerNode } from './containerNode';
import type { VmdkNode } from './vmdkNode';
import type { VolumesMessageNode } from './messageNode';
import type { BackupNode } from './backupNode';

/** Every node kind of the Volumes view; each file holds one, with its contextValue. */
export type VolumesNode = GroupNode | VolumeNode | ContainerNode | VmdkNode | VolumesMessageNode | BackupNode;
