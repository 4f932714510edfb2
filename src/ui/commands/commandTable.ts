import { Services } from '../services';

/** A command handler: gets the services first, then what VS Code passes (the tree node, if any). */
export type Handler = (services: Services, ...args: any[]) => unknown;
export type CommandTable = Record<string, Handler>;
