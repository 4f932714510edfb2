import { CommandContext } from '../commandContext';

/** A command handler: its context (services, the UI seam, the caller's input), then the tree node it ran on. */
// each command declares its own node and input types; VS Code passes whatever the caller gave
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (ctx: CommandContext<any>, node?: any) => unknown;
export type CommandTable = Record<string, Handler>;
