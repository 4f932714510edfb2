import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { MoRef } from '../../src/core/vsphere/normalize';
import { VsphereSession } from '../../src/core/vsphere/session';

/** The file the writer container appends to, inside the volume mounted at /d. */
export const WRITER_LOG = '/d/log.txt';
const LINE = 64;
const PAD = 'x'.repeat(LINE - 12);

/**
 * busybox sh that appends numbered 64-byte lines (`0000000001 xxx…\n`, one write each) to
 * WRITER_LOG for ever, continuing the numbering after a restart; with `fsync`, `sync FILE` after
 * every line. TERM ends it at once (sh as PID 1 ignores it otherwise).
 */
export function writerScript(fsync: boolean): string {
  return `trap 'exit 0' TERM; f=${WRITER_LOG}; touch $f; i=$(wc -l < $f); while :; do i=$((i+1)); printf '%010d %s\\n' $i ${PAD} >> $f; ${fsync ? 'sync $f; ' : ''}done`;
}

/**
 * What is wrong with a restored writer log: zero bytes, a length that is not whole lines (a torn
 * last line), a line that is not the next number. Empty `problems` = a consistent prefix.
 */
export function checkAppendLog(text: string): { lines: number; problems: string[] } {
  const problems: string[] = [];
  const zeroRuns = text.match(/\0+/g) ?? [];
  if (zeroRuns.length)
    problems.push(
      `${zeroRuns.length} run(s) of zero bytes (${zeroRuns.reduce((n, r) => n + r.length, 0)} bytes), the first at offset ${text.indexOf('\0')}`,
    );
  if (text.length % LINE) problems.push(`the length ${text.length} is not a multiple of ${LINE}: the last line is torn`);
  const lines = Math.floor(text.length / LINE);
  for (let i = 0; i < lines && problems.length < 8; i++) {
    const line = text.slice(i * LINE, (i + 1) * LINE);
    const want = `${String(i + 1).padStart(10, '0')} ${PAD}\n`;
    if (line !== want) problems.push(`line ${i + 1} at offset ${i * LINE} is ${JSON.stringify(line.slice(0, 24))}…`);
  }
  return { lines, problems };
}

/**
 * What VMware Tools reports in the lab VM, set as vcsim takes it (`SET.guest.*` extra config of a
 * ReconfigVM_Task, which the product's WSDL subset does not have: sent as raw SOAP on the session).
 */
export async function setToolsRunning(session: VsphereSession, vm: MoRef, running: boolean): Promise<void> {
  const opt = (key: string, value: string) =>
    `<extraConfig xsi:type="OptionValue"><key>${key}</key><value xsi:type="xsd:string">${value}</value></extraConfig>`;
  const body = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><ReconfigVM_Task xmlns="urn:vim25"><_this type="VirtualMachine">${vm.value}</_this><spec>${opt('SET.guest.toolsRunningStatus', running ? 'guestToolsRunning' : 'guestToolsNotRunning')}${opt('SET.guest.toolsStatus', running ? 'toolsOk' : 'toolsNotRunning')}</spec></ReconfigVM_Task></soapenv:Body></soapenv:Envelope>`;
  const { agent, headers } = session.httpOptions();
  await new Promise<void>((resolve, reject) => {
    const req = request(
      session.url,
      { method: 'POST', agent, headers: { ...headers, 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: 'urn:vim25/6.7' } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`ReconfigVM_Task: HTTP ${res.statusCode}: ${text.slice(0, 300)}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const run = promisify(execFile);

/**
 * Freezes (FIFREEZE, `fsfreeze -f`) the Docker host's file system of a mounted volume, found as
 * the lab's vcsim finds it: the loop device over its flat file, and that device's mount on the
 * host. Returns the thaw.
 */
export async function freezeVolume(flatFile: string): Promise<() => Promise<void>> {
  const dev = (await run('losetup', ['-l', '-n', '-O', 'NAME', '-j', flatFile])).stdout.trim().split('\n')[0];
  if (!dev) throw new Error(`no loop device over ${flatFile}: is the volume mounted?`);
  const target = (await run('findmnt', ['-n', '-o', 'TARGET', '--source', dev])).stdout.trim().split('\n')[0];
  await run('fsfreeze', ['-f', target]);
  return async () => {
    await run('fsfreeze', ['-u', target]);
  };
}
