/** The vSphere client: plain Node (no vscode), shared by the extension and the CLI. */
export * from './connect';
export * from './datastoreBrowser';
export * from './datastoreFiles';
export * from './datastorePath';
export * from './faults';
export * from './inventory';
export { MoRef, sameRef } from './normalize';
export * from './propertyCollector';
export * from './session';
export * from './snapshots';
export * from './tasks';
export * from './tls';
export * from './govc';
