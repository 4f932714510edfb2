import { UserError } from '../errors';

/**
 * Parses what vmdkops_admin.py prints with `--output-format xml` (esx_service/utils/cli_xml.py):
 * a table is `<output><list type="structure"><structure typeName="vdvs"><field name="H"><string>…`,
 * one structure per row, and a table without rows is one structure of empty fields (no row here).
 * Each row maps its header to its text.
 */
export async function parseCliXmlTable(xml: string, command: string): Promise<Array<Map<string, string>>> {
  // Loaded on first use (dist/vendor/fast-xml-parser.js), as the VIB descriptor's parser.
  const { XMLParser } = await import('fast-xml-parser');
  let doc: unknown;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@_',
      parseTagValue: false,
      trimValues: false,
      isArray: (name) => name === 'structure' || name === 'field',
    }).parse(xml, true);
  } catch (err) {
    throw notCliXml(command, `not XML (${(err as Error).message.split('\n')[0]})`);
  }
  const list = (doc as { output?: { list?: { structure?: unknown[] } } } | undefined)?.output?.list;
  if (!list || typeof list !== 'object') throw notCliXml(command, 'no <output><list>');
  const rows: Array<Map<string, string>> = [];
  for (const structure of list.structure ?? []) {
    const fields = new Map<string, string>();
    for (const f of (structure as { field?: Array<Record<string, unknown>> }).field ?? []) {
      const value = f.string;
      fields.set(String(f['@_name']), typeof value === 'string' ? value : '');
    }
    if ([...fields.values()].some((v) => v !== '')) rows.push(fields);
  }
  return rows;
}

export function notCliXml(command: string, why: string): UserError {
  return new UserError(
    `The output of vmdkops_admin.py ${command} is not what vDVS prints: ${why}.`,
    'Check the vDVS VIB on the ESXi host (esxcli software vib list).',
    'VMDKOPS_ADMIN_OUTPUT',
  );
}
