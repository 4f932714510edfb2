import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import type * as yauzl from 'yauzl';
import { UserError } from '../errors';
import { ArFormatError, listArMembers, ReadAt, readAtBuffer } from './arArchive';

/** What a VIB's descriptor.xml says about it: what the user confirms before installing. */
export interface VibDescriptor {
  name: string;
  version: string;
  vendor: string;
  summary?: string;
  /** esxcli's spelling: VMwareCertified, VMwareAccepted, PartnerSupported or CommunitySupported. */
  acceptanceLevel: string;
  /** The esx-version constraints, e.g. ">= 6.0.0", or undefined when the VIB has none. */
  requiredEsxVersion?: string;
  liveInstallAllowed?: boolean;
  liveRemoveAllowed?: boolean;
}

export interface VibFileInfo {
  path: string;
  fileName: string;
  sizeBytes: number;
  /** A single VIB (`esxcli … -v`) or an offline bundle/depot zip (`esxcli … -d`). */
  kind: 'vib' | 'bundle';
  descriptor: VibDescriptor;
  /** For a bundle: the VIB inside it that the descriptor was read from, and how many it holds. */
  bundleVib?: string;
  bundleVibCount?: number;
}

/** The vDVS ESXi service; preferred when a bundle holds more than one VIB. */
export const VDVS_VIB_NAME = 'esx-vmdkops-service';

const ACCEPTANCE: Record<string, string> = {
  certified: 'VMwareCertified',
  accepted: 'VMwareAccepted',
  partner: 'PartnerSupported',
  community: 'CommunitySupported',
};

/** Reads a local .vib or offline-bundle .zip and its descriptor; a UserError (code NOT_A_VIB) says why not. */
export async function readVibFile(path: string): Promise<VibFileInfo> {
  const fileName = basename(path);
  let sizeBytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UserError(`${path} is not a file.`, 'Pick a .vib file or an offline bundle .zip.', 'NOT_A_VIB');
    sizeBytes = info.size;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot read ${path}: ${(err as Error).message}`, undefined, 'NOT_A_VIB', { cause: err });
  }
  const head = await readHead(path);
  if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    const { descriptor, vibName, count } = await readBundle(path, fileName);
    return { path, fileName, sizeBytes, kind: 'bundle', descriptor, bundleVib: vibName, bundleVibCount: count };
  }
  const handle = await open(path, 'r');
  try {
    const readAt: ReadAt = async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    };
    return { path, fileName, sizeBytes, kind: 'vib', descriptor: await readDescriptor(readAt, sizeBytes, fileName) };
  } finally {
    await handle.close();
  }
}

/** Reads descriptor.xml from a VIB (an ar archive) and parses it. */
export async function readDescriptor(read: ReadAt, size: number, fileName: string): Promise<VibDescriptor> {
  let xml: string;
  try {
    const members = await listArMembers(read, size);
    const member = members.find((m) => m.name === 'descriptor.xml');
    if (!member) throw new ArFormatError('it has no descriptor.xml');
    xml = (await read(member.dataOffset, member.size)).toString('utf8');
  } catch (err) {
    if (err instanceof ArFormatError) throw notAVib(fileName, err.message);
    throw err;
  }
  return await parseDescriptor(xml, fileName);
}

/** Parses the text of a VIB's descriptor.xml. */
export async function parseDescriptor(xml: string, fileName: string): Promise<VibDescriptor> {
  // Loaded on first use (dist/vendor/fast-xml-parser.js), not at activation.
  const { XMLParser } = await import('fast-xml-parser');
  let doc: XmlNode | undefined;
  try {
    // Tag values stay strings: "0.21" is a version, not the number 0.21.
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false, trimValues: true }).parse(
      xml,
      true,
    ) as XmlNode;
  } catch (err) {
    throw notAVib(fileName, `its descriptor.xml is not valid XML (${(err as Error).message.split('\n')[0]})`);
  }
  const vib = node(doc?.vib);
  const name = text(vib?.name);
  const version = text(vib?.version);
  if (!vib || !name || !version) throw notAVib(fileName, 'its descriptor.xml has no <vib> with a name and a version');
  const level = text(vib['acceptance-level']) ?? 'community';
  const constraints = [node(node(vib.relationships)?.depends)?.constraint ?? []].flat().map(node);
  const esx = constraints
    .filter((c) => c?.['@_name'] === 'esx-version')
    .map((c) => [text(c?.['@_relation']), text(c?.['@_version'])].filter(Boolean).join(' '))
    .filter(Boolean);
  return {
    name,
    version,
    vendor: text(vib.vendor) ?? 'unknown',
    summary: text(vib.summary),
    acceptanceLevel: ACCEPTANCE[level.toLowerCase()] ?? level,
    requiredEsxVersion: esx.length ? esx.join(', ') : undefined,
    liveInstallAllowed: flag(vib['live-install-allowed']),
    liveRemoveAllowed: flag(vib['live-remove-allowed']),
  };
}

/** The lines the install command shows before anything happens. */
export function describeVib(info: VibFileInfo): string[] {
  const d = info.descriptor;
  return [
    `${d.name} ${d.version} by ${d.vendor}`,
    `Acceptance level: ${d.acceptanceLevel}`,
    `Requires ESXi: ${d.requiredEsxVersion ?? 'any version'}`,
    ...(d.summary ? [`Summary: ${d.summary}`] : []),
    `File: ${info.fileName} (${(info.sizeBytes / 1048576).toFixed(2)} MiB${info.kind === 'bundle' ? `, offline bundle with ${info.bundleVibCount} VIB(s)` : ''})`,
  ];
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(8);
    const { bytesRead } = await handle.read(buffer, 0, 8, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** An offline bundle holds its VIBs as `vib20/<name>/<file>.vib`; read the vDVS one (or the first). */
async function readBundle(path: string, fileName: string): Promise<{ descriptor: VibDescriptor; vibName: string; count: number }> {
  // Loaded on first use (dist/vendor/yauzl.js), not at activation.
  const { open: openZip } = await import('yauzl');
  let zip: yauzl.ZipFile;
  try {
    zip = await promisify<string, yauzl.Options, yauzl.ZipFile>(openZip)(path, { lazyEntries: true, autoClose: false });
  } catch (err) {
    throw notAVib(fileName, `it is not a readable zip (${(err as Error).message})`);
  }
  try {
    const vibs = (await listZipEntries(zip)).filter((e) => /\.vib$/i.test(e.fileName));
    if (!vibs.length) throw notAVib(fileName, 'this zip holds no .vib file, so it is not an offline bundle');
    const found: { entry: yauzl.Entry; descriptor: VibDescriptor }[] = [];
    for (const entry of vibs) {
      const data = await readZipEntry(zip, entry);
      found.push({ entry, descriptor: await readDescriptor(readAtBuffer(data), data.length, `${fileName}:${entry.fileName}`) });
      if (found.at(-1)!.descriptor.name === VDVS_VIB_NAME) break;
    }
    const pick = found.find((f) => f.descriptor.name === VDVS_VIB_NAME) ?? found[0];
    return { descriptor: pick.descriptor, vibName: pick.entry.fileName, count: vibs.length };
  } finally {
    zip.close();
  }
}

function listZipEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

async function readZipEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  const stream = await promisify<yauzl.Entry, NodeJS.ReadableStream>(zip.openReadStream.bind(zip))(entry);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function notAVib(fileName: string, why: string): UserError {
  return new UserError(
    `${fileName} is not a VIB: ${why}.`,
    'Pick the vDVS VIB (vmware-esx-vmdkops-<version>.vib) or its offline bundle .zip from the vDVS release.',
    'NOT_A_VIB',
  );
}

/** An element as fast-xml-parser gives it: child elements and `@_` attributes by name, `#text` for mixed content. */
type XmlNode = Record<string, unknown>;

function node(value: unknown): XmlNode | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as XmlNode) : undefined;
}

function text(value: unknown): string | undefined {
  const leaf = node(value)?.['#text'] ?? value;
  const s = typeof leaf === 'string' ? leaf.trim() : typeof leaf === 'number' || typeof leaf === 'boolean' ? String(leaf) : '';
  return s || undefined;
}

function flag(value: unknown): boolean | undefined {
  const s = text(value);
  return s === undefined ? undefined : s.toLowerCase() === 'true';
}
