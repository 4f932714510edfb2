#!/usr/bin/env node
// Makes small stand-in VIB files for the lab and the tests. They are real `ar`
// archives laid out like a VIB built by VMware's vibauthor (members
// descriptor.xml, sig.pkcs7, and a gzip'ed tar payload "vmdkops"), with a
// descriptor naming esx-vmdkops-service, but their summary says
// "TEST STAND-IN, not the real vDVS VIB" and the payload only holds stubs.
//
//   node lab/vib/make-test-vib.mjs [OUTDIR]     (prints JSON of what it made)
//   import { makeTestVibs } from './lab/vib/make-test-vib.mjs'
//
// Node builtins only (ar, tar, zip written here), byte-for-byte deterministic.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const VIB_NAME = 'esx-vmdkops-service';
export const VIB_VENDOR = 'VMWare'; // sic: the vDVS VIB ids read VMWare_bootbank_esx-vmdkops-service_...
const MTIME = 1525132800; // 2018-05-01, about when vDVS 0.21.x was released

// ---- ar (System V / GNU common format, as `ar` and busybox `ar` read it)
export function arArchive(members) {
  const parts = [Buffer.from('!<arch>\n')];
  for (const { name, data } of members) {
    if (name.length > 15) throw new Error(`ar member name too long: ${name}`);
    const hdr =
      (name + '/').padEnd(16) +
      String(MTIME).padEnd(12) +
      '0'.padEnd(6) +
      '0'.padEnd(6) +
      '100644'.padEnd(8) +
      String(data.length).padEnd(10) +
      '`\n';
    parts.push(Buffer.from(hdr, 'latin1'), data);
    if (data.length % 2) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

// ---- ustar
function tarArchive(files) {
  const blocks = [];
  for (const { name, data, mode = 0o644 } of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write(mode.toString(8).padStart(7, '0') + '\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write(MTIME.toString(8).padStart(11, '0') + '\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    h.write('root', 265);
    h.write('root', 297);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

// ---- zip (stored, no compression) for the offline bundle
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
export function zipArchive(files) {
  const local = [];
  const central = [];
  let offset = 0;
  const dosTime = 0; // 00:00:00
  const dosDate = ((2018 - 1980) << 9) | (5 << 5) | 1;
  for (const { name, data } of files) {
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(10, 4);
    lh.writeUInt16LE(0, 6);
    lh.writeUInt16LE(0, 8);
    lh.writeUInt16LE(dosTime, 10);
    lh.writeUInt16LE(dosDate, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(nameBuf.length, 26);
    lh.writeUInt16LE(0, 28);
    local.push(lh, nameBuf, data);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(0x031e, 4);
    ch.writeUInt16LE(10, 6);
    ch.writeUInt16LE(0, 8);
    ch.writeUInt16LE(0, 10);
    ch.writeUInt16LE(dosTime, 12);
    ch.writeUInt16LE(dosDate, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(nameBuf.length, 28);
    ch.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, cd, end]);
}

const xmlEsc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function payload(version) {
  const py = `#!/bin/python
# TEST STAND-IN for vmdk_ops.py of vSphere Storage for Docker ${version}.
# Made by the vDVS VS Code extension's lab (lab/vib/make-test-vib.mjs).
# It does nothing; the real service listens on vSocket for the Docker plugin.
raise SystemExit("TEST STAND-IN, not the real vDVS VIB")
`;
  const init = `#!/bin/sh
# TEST STAND-IN for /etc/init.d/vmdk-opsd (vDVS ${version})
echo "vmdk-opsd: TEST STAND-IN"
`;
  // the admin CLI is the lab's (lab/plugin/src/admin.go, put in the chroot by the esxi-shell piece)
  const admin = `#!/bin/sh
# TEST STAND-IN for vmdkops_admin.py of vSphere Storage for Docker ${version}: the vDVS lab's admin CLI.
exec /lib/vdvs-lab/vmdkops-admin admin "$@"
`;
  const readme = `TEST STAND-IN, not the real vDVS VIB (esx-vmdkops-service ${version}).\n`;
  const files = [
    { name: 'etc/init.d/vmdk-opsd', data: Buffer.from(init), mode: 0o755 },
    { name: 'usr/lib/vmware/vmdkops/README.TEST', data: Buffer.from(readme) },
    { name: 'usr/lib/vmware/vmdkops/bin/vmdk_ops.py', data: Buffer.from(py), mode: 0o755 },
    { name: 'usr/lib/vmware/vmdkops/bin/vmdkops_admin.py', data: Buffer.from(admin), mode: 0o755 },
  ];
  return { files: files.map((f) => f.name), data: zlib.gzipSync(tarArchive(files), { level: 9 }) };
}

export function descriptorXml({ version, acceptance = 'accepted', esxVersion = '6.0.0', payloadInfo }) {
  const sha256 = crypto.createHash('sha256').update(payloadInfo.data).digest('hex');
  const sha1 = crypto.createHash('sha1').update(payloadInfo.data).digest('hex');
  return `<?xml version="1.0" encoding="utf-8"?>
<vib version="5.0">
  <type>bootbank</type>
  <name>${VIB_NAME}</name>
  <version>${xmlEsc(version)}</version>
  <vendor>${VIB_VENDOR}</vendor>
  <summary>TEST STAND-IN, not the real vDVS VIB</summary>
  <description>TEST STAND-IN made by the vDVS lab. Looks like the ESX-side daemon of vSphere Storage for Docker (vmdk_ops) to esxcli, but contains only stubs.</description>
  <release-date>2018-05-01T00:00:00.000000+00:00</release-date>
  <urls/>
  <relationships>
    <depends>
      <constraint name="esx-version" relation="&gt;=" version="${xmlEsc(esxVersion)}"/>
    </depends>
    <conflicts/>
    <replaces/>
    <provides/>
    <compatibleWith/>
  </relationships>
  <software-tags/>
  <system-requires>
    <maintenance-mode>false</maintenance-mode>
  </system-requires>
  <file-list>
${payloadInfo.files.map((f) => `    <file>${xmlEsc(f)}</file>`).join('\n')}
  </file-list>
  <acceptance-level>${xmlEsc(acceptance)}</acceptance-level>
  <live-install-allowed>true</live-install-allowed>
  <live-remove-allowed>true</live-remove-allowed>
  <cimom-restart>false</cimom-restart>
  <stateless-ready>false</stateless-ready>
  <overlay>false</overlay>
  <payloads>
    <payload name="vmdkops" type="vgz" size="${payloadInfo.data.length}">
      <checksum checksum-type="sha-256">${sha256}</checksum>
      <checksum checksum-type="sha-1">${sha1}</checksum>
    </payload>
  </payloads>
</vib>
`;
}

export function makeVib(opts) {
  const payloadInfo = payload(opts.version);
  const desc = Buffer.from(descriptorXml({ ...opts, payloadInfo }));
  const members = [];
  if (!opts.noDescriptor) members.push({ name: 'descriptor.xml', data: desc });
  members.push({ name: 'sig.pkcs7', data: Buffer.alloc(0) }); // unsigned, like a vibauthor --no-sign build
  members.push({ name: 'vmdkops', data: payloadInfo.data });
  return arArchive(members);
}

/** The VIB id as esxcli prints it. */
export const vibId = (version) => `${VIB_VENDOR}_bootbank_${VIB_NAME}_${version}`;

/**
 * Writes the test VIBs into outDir and returns their description:
 * { path, name, version, id, variants: { upgrade, community, esx8, notAVib, noDescriptor, bundle } }
 */
export function makeTestVibs(outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const write = (file, buf) => {
    const p = path.join(outDir, file);
    fs.writeFileSync(p, buf);
    return p;
  };
  const v = (file, version, extra = {}) => ({
    path: write(file, makeVib({ version, ...extra })),
    name: VIB_NAME,
    version,
    id: vibId(version),
    acceptance: extra.acceptance || 'accepted',
    requiresEsx: extra.esxVersion || '6.0.0',
  });
  const main = v('vmware-esx-vmdkops-0.21.2.test.vib', '0.21.2-0.0.1');
  const upgrade = v('vmware-esx-vmdkops-0.21.3.test.vib', '0.21.3-0.0.1');
  const community = v('vmware-esx-vmdkops-0.21.2.community.test.vib', '0.21.2-0.0.1', { acceptance: 'community' });
  const esx8 = v('vmware-esx-vmdkops-0.21.2.esx8.test.vib', '0.21.2-0.0.1', { esxVersion: '8.0.0' });
  const noDescriptor = {
    path: write('vmware-esx-vmdkops-nodescriptor.test.vib', makeVib({ version: '0.21.2-0.0.1', noDescriptor: true })),
    note: 'an ar archive without descriptor.xml',
  };
  const notAVib = {
    path: write('not-a-vib.test.vib', Buffer.from('This is a plain text file, TEST STAND-IN for a bad download; not a VIB.\n')),
    note: 'plain text',
  };
  // An offline bundle (depot zip) with the main VIB, as vDVS also shipped.
  const bundle = {
    path: write(
      'vmware-esx-vmdkops-0.21.2.test-offline-bundle.zip',
      zipArchive([
        { name: 'index.xml', data: Buffer.from('<vendorList><vendor><name>VMWare</name><code>VMW</code><indexfile>vendor-index.xml</indexfile><relativePath></relativePath></vendor></vendorList>\n') },
        { name: 'vendor-index.xml', data: Buffer.from('<vendorIndex><channel><name>default</name><metadata><url>metadata.zip</url></metadata></channel></vendorIndex>\n') },
        { name: `vib20/${VIB_NAME}/${vibId('0.21.2-0.0.1')}.vib`, data: fs.readFileSync(main.path) },
      ]),
    ),
    vib: main.id,
  };
  return { ...main, variants: { upgrade, community, esx8, noDescriptor, notAVib, bundle } };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = path.resolve(process.argv[2] || '.');
  console.log(JSON.stringify(makeTestVibs(out), null, 2));
}
