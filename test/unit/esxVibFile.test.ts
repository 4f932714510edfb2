import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ArFormatError, listArMembers, readAtBuffer } from '../../src/core/esx/arArchive';
import { describeVib, parseDescriptor, readVibFile } from '../../src/core/esx/vibFile';
import { UserError } from '../../src/core/errors';
import { arArchive, descriptorXml, testVib, writeBundle } from '../fixtures/vibFixtures';

const dir = mkdtempSync(join(tmpdir(), 'vdvs-vibfile-'));

describe('ar archive reader', () => {
  it('lists GNU and BSD style members with their data offsets', async () => {
    for (const style of ['gnu', 'bsd'] as const) {
      const ar = arArchive(
        [
          { name: 'descriptor.xml', data: 'abc' },
          { name: 'a-rather-long-payload-name', data: 'xy' },
        ],
        style,
      );
      const members = await listArMembers(readAtBuffer(ar), ar.length);
      assert.deepEqual(
        members.map((m) => m.name),
        ['descriptor.xml', 'a-rather-long-payload-name'],
        style,
      );
      assert.equal(ar.subarray(members[0].dataOffset, members[0].dataOffset + members[0].size).toString(), 'abc');
      assert.equal(ar.subarray(members[1].dataOffset, members[1].dataOffset + members[1].size).toString(), 'xy');
    }
  });
  it('rejects a file without the signature, a bad header and a member running past the end', async () => {
    const good = arArchive([{ name: 'descriptor.xml', data: 'abcd' }]);
    await assert.rejects(listArMembers(readAtBuffer(Buffer.from('PK\x03\x04 not ar')), 10), ArFormatError);
    const badHeader = Buffer.from(good);
    badHeader.write('xx', 8 + 58, 'latin1');
    await assert.rejects(listArMembers(readAtBuffer(badHeader), badHeader.length), /malformed/);
    const cut = good.subarray(0, good.length - 2);
    await assert.rejects(listArMembers(readAtBuffer(cut), cut.length), /past the end/);
  });
});

describe('VIB descriptor', () => {
  it('reads name, version, vendor, acceptance level and the required ESXi version', async () => {
    const d = await parseDescriptor(descriptorXml({ version: '0.21', level: 'community', esx: '6.5.0' }), 'x.vib');
    assert.equal(d.name, 'esx-vmdkops-service');
    assert.equal(d.version, '0.21'); // a string, not the number 0.21
    assert.equal(d.vendor, 'VMWare');
    assert.equal(d.acceptanceLevel, 'CommunitySupported');
    assert.equal(d.requiredEsxVersion, '>= 6.5.0');
    assert.equal(d.liveRemoveAllowed, true);
  });
  it('defaults to community and no ESXi requirement when the descriptor says nothing', async () => {
    const d = await parseDescriptor('<vib><name>n</name><version>1</version></vib>', 'x.vib');
    assert.equal(d.acceptanceLevel, 'CommunitySupported');
    assert.equal(d.requiredEsxVersion, undefined);
    assert.equal(d.vendor, 'unknown');
  });
  it('says why a descriptor is not one', async () => {
    await assert.rejects(
      parseDescriptor('<vib><name>n</name></vib>', 'x.vib'),
      (e: UserError) => e.code === 'NOT_A_VIB' && /name and a version/.test(e.message),
    );
    await assert.rejects(
      parseDescriptor('<vib><name>n</nam', 'x.vib'),
      (e: UserError) => e.code === 'NOT_A_VIB' && /not valid XML/.test(e.message),
    );
  });
});

describe('readVibFile', () => {
  it('reads a .vib and describes it', async () => {
    const path = join(dir, 'vmware-esx-vmdkops-0.21.ddbf56b.vib');
    writeFileSync(path, testVib());
    const info = await readVibFile(path);
    assert.equal(info.kind, 'vib');
    assert.equal(info.descriptor.version, '0.21.ddbf56b-0.0.1');
    assert.equal(info.descriptor.acceptanceLevel, 'VMwareAccepted');
    const lines = describeVib(info);
    assert.match(lines[0], /^esx-vmdkops-service 0\.21\.ddbf56b-0\.0\.1 by VMWare$/);
    assert.ok(lines.includes('Requires ESXi: >= 6.0.0'));
  });
  it('reads the vDVS VIB out of an offline bundle zip, preferring it over other VIBs', async () => {
    const path = join(dir, 'vDVS_Driver_offline-bundle.zip');
    await writeBundle(path, [
      { file: 'other.vib', data: testVib({ name: 'some-driver', version: '9' }) },
      { file: 'VMWare_bootbank_esx-vmdkops-service_0.21.vib', data: testVib({ version: '0.21.2' }) },
    ]);
    const info = await readVibFile(path);
    assert.equal(info.kind, 'bundle');
    assert.equal(info.descriptor.name, 'esx-vmdkops-service');
    assert.equal(info.descriptor.version, '0.21.2');
    assert.equal(info.bundleVibCount, 2);
    assert.match(info.bundleVib!, /vib20\/.*esx-vmdkops-service_0\.21\.vib$/);
  });
  it('explains files that are not VIBs', async () => {
    const cases: [string, Buffer, RegExp][] = [
      ['notes.vib', Buffer.from('hello, I am text'), /signature/],
      ['nodesc.vib', arArchive([{ name: 'payload', data: 'x' }]), /no descriptor\.xml/],
      ['empty.zip', Buffer.from('PK\x03\x04garbage'), /not a readable zip/],
    ];
    for (const [name, data, why] of cases) {
      const path = join(dir, name);
      writeFileSync(path, data);
      await assert.rejects(
        readVibFile(path),
        (e: UserError) => e.code === 'NOT_A_VIB' && why.test(e.message) && /is not a VIB/.test(e.message),
        name,
      );
    }
    const zipNoVib = join(dir, 'novib.zip');
    await writeBundle(zipNoVib, []);
    await assert.rejects(readVibFile(zipNoVib), /holds no \.vib/);
    await assert.rejects(readVibFile(join(dir, 'missing.vib')), (e: UserError) => e.code === 'NOT_A_VIB' && /Cannot read/.test(e.message));
    await assert.rejects(readVibFile(dir), /is not a file/);
  });
});
