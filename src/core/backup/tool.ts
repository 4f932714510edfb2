import { name, version } from '../../../package.json';

/** Who wrote a backup, recorded in every manifest. */
export const TOOL: { name: string; version: string } = { name, version };
