import { UserError } from '../errors';

/**
 * Parses what vmdkops_admin.py prints with `--output-format xml` (esx_service/utils/cli_xml.py):
 * a table is `<output><list type="structure"><structure typeName="vdvs"><field name="H"><string>…`,
 * one structure per row, and a table without rows is one structure of empty fields (no row here).
 * Each row maps its header to its text. The layout is minidom's toprettyxml and nothing else, so it
 * is read with patterns: a general XML parser took 0.9 s for 1,000 volumes (bench/volumes-refresh).
 */
export function parseCliXmlTable(xml: string, command: string): Array<Map<string, string>> {
  if (!/<output\b[^>]*>/.test(xml) || !/<list\b[^>]*>/.test(xml)) throw notCliXml(command, 'no <output><list>');
  const rows: Array<Map<string, string>> = [];
  for (const [, body] of xml.matchAll(/<structure\b[^>]*>([\s\S]*?)<\/structure>/g)) {
    const fields = new Map<string, string>();
    for (const [, name, text] of body.matchAll(/<field name="([^"]*)">\s*(?:<string>([^<]*)<\/string>|<string\/>)\s*<\/field>/g))
      fields.set(unescapeXml(name), unescapeXml(text ?? ''));
    if ([...fields.values()].some((v) => v !== '')) rows.push(fields);
  }
  return rows;
}

/** minidom's _write_data escapes &, <, " and >; numeric references are read too. */
function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e] ?? _m;
  });
}

export function notCliXml(command: string, why: string): UserError {
  return new UserError(
    `The output of vmdkops_admin.py ${command} is not what vDVS prints: ${why}.`,
    'Check the vDVS VIB on the ESXi host (esxcli software vib list).',
    'VMDKOPS_ADMIN_OUTPUT',
  );
}
