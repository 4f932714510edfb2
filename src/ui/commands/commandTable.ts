import { Services } from '../services';

/** A command handler: gets the services first, then what VS Code passes (the tree node, if any). */
// each command declares its own argument types; VS Code passes whatever the caller gave
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (services: Services, ...args: any[]) => unknown;
export type CommandTable = Record<string, Handler>;
