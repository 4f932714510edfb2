import { parseCliXmlTable } from './cliXml';

/** A row of `policy ls` (vmdkops_admin.py policy_ls: Policy Name, Policy Content, Active). */
export interface VsanPolicy {
  name: string;
  content: string;
  /** "Unused" or "In use by N volumes". */
  active: string;
}

export const POLICY_LS_ARGS = ['--output-format', 'xml', 'policy', 'ls'];

export function parsePolicyLs(xml: string): VsanPolicy[] {
  return parseCliXmlTable(xml, 'policy ls').map((f) => ({
    name: f.get('Policy Name') ?? '',
    content: f.get('Policy Content') ?? '',
    active: f.get('Active') ?? '',
  }));
}
