import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVolumeLs, statusOfAdminVolume, volumeSetArgs } from '../../src/core/vdvs/adminVolumes';
import { parseAccessLs, parseVmgroupLs, vmgroupOfFolder } from '../../src/core/vdvs/adminVmgroups';
import { correlate } from '../../src/core/vdvs/correlate';
import { volumeFacts } from '../../src/core/vdvs/status';
import { volumesNamedBy } from '../../src/core/vdvs/volumeData';

// Printed by vDVS's own esx_service/utils/cli_xml.py create() (python3, minidom toprettyxml) from the
// headers of vmdkops_admin.py all_ls_headers() and rows as generate_ls_rows() makes them, then
// print()ed as vmdkops_admin.printList does (one more newline).
const TWO_ROWS = `<?xml version="1.0" ?>
<output xmlns="http://www.vmware.com/Products/ESX/6.0/esxcli/">
	<list type="structure">
		<structure typeName="vdvs">
			<field name="Volume">
				<string>vol1</string>
			</field>
			<field name="Datastore">
				<string>datastore1</string>
			</field>
			<field name="VMGroup">
				<string>_DEFAULT</string>
			</field>
			<field name="Capacity">
				<string>100MB</string>
			</field>
			<field name="Used">
				<string>4MB</string>
			</field>
			<field name="Filesystem">
				<string>ext4</string>
			</field>
			<field name="Policy">
				<string>N/A</string>
			</field>
			<field name="Disk Format">
				<string>thin</string>
			</field>
			<field name="Attached-to">
				<string>detached</string>
			</field>
			<field name="Access">
				<string>read-write</string>
			</field>
			<field name="Attach-as">
				<string>independent_persistent</string>
			</field>
			<field name="Created By">
				<string>docker-host-01</string>
			</field>
			<field name="Created Date">
				<string>Fri Dec  4 19:00:00 2026</string>
			</field>
		</structure>
		<structure typeName="vdvs">
			<field name="Volume">
				<string>a&amp;b&lt;&quot;x&quot;&gt;</string>
			</field>
			<field name="Datastore">
				<string>vsanDatastore</string>
			</field>
			<field name="VMGroup">
				<string>N/A</string>
			</field>
			<field name="Capacity">
				<string>1GB</string>
			</field>
			<field name="Used">
				<string>1GB</string>
			</field>
			<field name="Filesystem">
				<string>xfs</string>
			</field>
			<field name="Policy">
				<string>[VSAN default]</string>
			</field>
			<field name="Disk Format">
				<string>zeroedthick</string>
			</field>
			<field name="Attached-to">
				<string>docker-host-02</string>
			</field>
			<field name="Access">
				<string>read-only</string>
			</field>
			<field name="Attach-as">
				<string>persistent</string>
			</field>
			<field name="Created By">
				<string>N/A</string>
			</field>
			<field name="Created Date">
				<string>N/A</string>
			</field>
		</structure>
	</list>
</output>

`;
// cli_xml.create(header, []) : one structure of empty fields
const NO_ROWS = `<?xml version="1.0" ?>
<output xmlns="http://www.vmware.com/Products/ESX/6.0/esxcli/">
	<list type="structure">
		<structure typeName="vdvs">
			<field name="Volume">
				<string></string>
			</field>
			<field name="Datastore">
				<string></string>
			</field>
			<field name="VMGroup">
				<string></string>
			</field>
			<field name="Capacity">
				<string></string>
			</field>
			<field name="Used">
				<string></string>
			</field>
			<field name="Filesystem">
				<string></string>
			</field>
			<field name="Policy">
				<string></string>
			</field>
			<field name="Disk Format">
				<string></string>
			</field>
			<field name="Attached-to">
				<string></string>
			</field>
			<field name="Access">
				<string></string>
			</field>
			<field name="Attach-as">
				<string></string>
			</field>
			<field name="Created By">
				<string></string>
			</field>
			<field name="Created Date">
				<string></string>
			</field>
		</structure>
	</list>
</output>

`;

describe('vmdkops_admin.py volume ls (xml)', () => {
  it("reads every column of vDVS's rows, N/A and detached as unknown, entities unescaped", async () => {
    const rows = parseVolumeLs(TWO_ROWS);
    assert.deepEqual(rows, [
      {
        volume: 'vol1',
        datastore: 'datastore1',
        vmgroup: '_DEFAULT',
        capacity: '100MB',
        used: '4MB',
        filesystem: 'ext4',
        policy: undefined,
        diskFormat: 'thin',
        attachedTo: undefined,
        access: 'read-write',
        attachAs: 'independent_persistent',
        createdBy: 'docker-host-01',
        created: 'Fri Dec  4 19:00:00 2026',
      },
      {
        volume: 'a&b<"x">',
        datastore: 'vsanDatastore',
        vmgroup: undefined,
        capacity: '1GB',
        used: '1GB',
        filesystem: 'xfs',
        policy: '[VSAN default]',
        diskFormat: 'zeroedthick',
        attachedTo: 'docker-host-02',
        access: 'read-only',
        attachAs: 'persistent',
        createdBy: undefined,
        created: undefined,
      },
    ]);
  });
  it('reads the one empty structure of no volumes as no rows', async () => {
    assert.deepEqual(parseVolumeLs(NO_ROWS), []);
  });
  it('refuses what is not its output, with the code the view logs', async () => {
    assert.throws(() => parseVolumeLs('Volume  Datastore\n------  ---------\n'), { code: 'VMDKOPS_ADMIN_OUTPUT' });
    assert.throws(() => parseVolumeLs(TWO_ROWS.replace('<string>vol1</string>', '<string></string>')), { code: 'VMDKOPS_ADMIN_OUTPUT' });
  });
  it('gives the Status an inspect gives (vmdk_ops.py vol_info), so the view shows the same facts', async () => {
    const [detached, attached] = parseVolumeLs(TWO_ROWS);
    assert.deepEqual(volumeFacts(statusOfAdminVolume(detached) as Record<string, unknown>), {
      datastore: 'datastore1',
      size: '100MB',
      allocated: '4MB',
      diskformat: 'thin',
      attachAs: 'independent_persistent',
      access: 'read-write',
      fstype: 'ext4',
      status: 'detached',
      attachedToVm: undefined,
      createdByVm: 'docker-host-01',
      created: 'Fri Dec  4 19:00:00 2026',
      cloneFrom: undefined,
      vsanPolicy: undefined,
    });
    const facts = volumeFacts(statusOfAdminVolume(attached) as Record<string, unknown>);
    assert.equal(facts.status, 'attached');
    assert.equal(facts.attachedToVm, 'docker-host-02');
    assert.equal(facts.vsanPolicy, '[VSAN default]');
  });
});

// cli_xml.create of vmdkops_admin.py tenant_ls_headers / generate_tenant_ls_rows and
// tenant_access_ls_headers / generate_tenant_access_ls_rows (allow_create as ("False", "True")[..],
// sizes through human_readable, 0 as UNSET)
const VMGROUP_LS = `<?xml version="1.0" ?>
<output xmlns="http://www.vmware.com/Products/ESX/6.0/esxcli/">
	<list type="structure">
		<structure typeName="vdvs">
			<field name="Uuid">
				<string>11111111-1111-1111-1111-111111111111</string>
			</field>
			<field name="Name">
				<string>_DEFAULT</string>
			</field>
			<field name="Description">
				<string>This is a default vmgroup</string>
			</field>
			<field name="Default_datastore">
				<string>_VM_DS</string>
			</field>
			<field name="VM_list">
				<string></string>
			</field>
		</structure>
		<structure typeName="vdvs">
			<field name="Uuid">
				<string>1692b352-bc36-4d96-9d4f-3b7f2b0a1c11</string>
			</field>
			<field name="Name">
				<string>g1</string>
			</field>
			<field name="Description">
				<string>test</string>
			</field>
			<field name="Default_datastore">
				<string>datastore1</string>
			</field>
			<field name="VM_list">
				<string>vm1,vm2</string>
			</field>
		</structure>
	</list>
</output>

`;
const ACCESS_LS = `<?xml version="1.0" ?>
<output xmlns="http://www.vmware.com/Products/ESX/6.0/esxcli/">
	<list type="structure">
		<structure typeName="vdvs">
			<field name="Datastore">
				<string>datastore1</string>
			</field>
			<field name="Allow_create">
				<string>False</string>
			</field>
			<field name="Max_volume_size">
				<string>1.00GB</string>
			</field>
			<field name="Total_size">
				<string>10.00GB</string>
			</field>
		</structure>
		<structure typeName="vdvs">
			<field name="Datastore">
				<string>_ALL_DS</string>
			</field>
			<field name="Allow_create">
				<string>True</string>
			</field>
			<field name="Max_volume_size">
				<string>Unset</string>
			</field>
			<field name="Total_size">
				<string>Unset</string>
			</field>
		</structure>
	</list>
</output>

`;

describe('vmdkops_admin.py vmgroup ls / access ls (xml), volume set', () => {
  it('reads vmgroups with their VM lists and a folder names its vmgroup', async () => {
    const groups = parseVmgroupLs(VMGROUP_LS);
    assert.deepEqual(
      groups.map((g) => [g.name, g.defaultDatastore, g.vms]),
      [
        ['_DEFAULT', '_VM_DS', []],
        ['g1', 'datastore1', ['vm1', 'vm2']],
      ],
    );
    assert.equal(vmgroupOfFolder('11111111-1111-1111-1111-111111111111', []), '_DEFAULT');
    assert.equal(vmgroupOfFolder('1692b352-bc36-4d96-9d4f-3b7f2b0a1c11', groups), 'g1');
    assert.equal(vmgroupOfFolder('1692b352-bc36-4d96-9d4f-3b7f2b0a1c11', []), undefined);
  });
  it('reads access rows, Unset as no limit', async () => {
    assert.deepEqual(parseAccessLs(ACCESS_LS), [
      { datastore: 'datastore1', allowCreate: false, maxVolumeSize: '1.00GB', totalSize: '10.00GB' },
      { datastore: '_ALL_DS', allowCreate: true, maxVolumeSize: undefined, totalSize: undefined },
    ]);
  });
  it("builds volume set's options as set_vol_opts splits them", () => {
    assert.deepEqual(volumeSetArgs('v@ds', '_DEFAULT', { access: 'read-only', attachAs: 'persistent' }), [
      'volume',
      'set',
      '--volume',
      'v@ds',
      '--vmgroup',
      '_DEFAULT',
      '--options',
      'access=read-only,attach-as=persistent',
    ]);
  });
});

describe('updates after docker events', () => {
  it('names the volumes of volume events only, once each', () => {
    const events = [
      { Type: 'container', Action: 'create', Actor: { ID: 'c1' } },
      { Type: 'volume', Action: 'mount', Actor: { ID: 'v1@datastore1' } },
      { Type: 'volume', Action: 'unmount', Actor: { ID: 'v1@datastore1' } },
      { Type: 'volume', Action: 'create', Actor: { ID: 'v2@datastore1' } },
    ];
    assert.deepEqual(volumesNamedBy(events), ['v1@datastore1', 'v2@datastore1']);
  });
  it('does not call a volume listed since the last dockvols scan orphaned', () => {
    const entry = { hostId: 'h', hostName: 'h', name: 'new@datastore1', containers: [] };
    const scan = { vmdks: [], vmDisks: [], scannedDatastores: ['datastore1'] };
    assert.equal(correlate({ docker: [entry], ...scan })[0].orphan, 'vmdk-missing');
    assert.equal(correlate({ docker: [{ ...entry, sinceScan: true }], ...scan })[0].orphan, undefined);
  });
});
