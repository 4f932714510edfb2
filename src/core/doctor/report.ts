import { DoctorReport } from './doctor';
import { Finding } from './findings';

const MARK = { error: 'ERROR  ', warning: 'WARNING', info: 'info   ' } as const;

/** The human report: one block per finding (title, detail, fixes with what they do and their command), then a summary line. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const e of report.facts.esxi)
    lines.push(
      `ESXi ${e.hostName}: ${e.error ? 'not read' : `${e.datastores.length} datastore(s), ${e.vms.length} VM(s)`}${e.vib ? `, VIB ${e.vib.version ?? (e.vib.error ? 'unknown' : 'not installed')}` : ''}`,
    );
  for (const d of report.facts.docker)
    lines.push(
      `Docker ${d.hostName}: ${d.error && !d.plugin ? 'not read' : `${d.volumes.length} vsphere volume(s), plugin ${d.plugin?.installed ? `${d.plugin.version}${d.plugin.enabled ? '' : ' (disabled)'}` : 'not installed'}`}`,
    );
  lines.push('');
  for (const f of report.findings) lines.push(...formatFinding(f), '');
  const count = (s: Finding['severity']) => report.findings.filter((f) => f.severity === s).length;
  lines.push(
    report.findings.length ? `${count('error')} error(s), ${count('warning')} warning(s), ${count('info')} note(s).` : 'No problems found.',
  );
  return `${lines.join('\n')}\n`;
}

function formatFinding(f: Finding): string[] {
  const out = [`${MARK[f.severity]} ${f.title}`, `        ${f.id}`, ...wrap(f.detail, 8)];
  for (const fix of f.fixes) {
    out.push(`        fix ${fix.id}: ${fix.label}`, ...wrap(fix.describe, 12), `            equivalent: ${fix.cli}`);
  }
  return out;
}

function wrap(text: string, indent: number, width = 110): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width - indent) {
      out.push(' '.repeat(indent) + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(' '.repeat(indent) + line);
  return out;
}
