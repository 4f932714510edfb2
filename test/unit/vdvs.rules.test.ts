import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseVdvsVolumeName, validateDatastore, validateVolumeName } from '../../src/core/vdvs/names';
import { OPTION_KEYS, VDVS_OPTIONS } from '../../src/core/vdvs/options';
import { explainServerError } from '../../src/core/vdvs/serverErrors';
import { validateCreate, validateOption } from '../../src/core/vdvs/validate';
import { RULE_ROWS, rowName, rowOptions, rowText, VALID_NAMES, VDVS_NAME_PARSE_CASES, VDVS_VALIDATION_CASES } from '../fixtures/vdvsRules';

/** Placeholders as the unit test fills them: NAME and SHORT stay. */
const fill = (text: string) => rowText(text, 'NAME', 'SHORT');

describe('vDVS create rules (table)', () => {
  for (const row of RULE_ROWS) {
    const expected = row.expected === undefined ? undefined : fill(row.expected);
    it(`${row.title} → ${expected === undefined ? 'accepted' : JSON.stringify(expected.slice(0, 60))}`, () => {
      assert.equal(validateCreate({ name: rowName(row, 'NAME', 'SHORT'), options: rowOptions(row, 'NAME', 'SHORT') }, row.ctx), expected);
    });
  }

  it('covers every option with a bad value or a conflict', () => {
    const failing = new Set(RULE_ROWS.filter((r) => r.expected !== undefined).flatMap((r) => Object.keys(r.options)));
    for (const key of OPTION_KEYS) assert.ok(failing.has(key), `no failing row for ${key}`);
  });
});

describe("vDVS's own test inputs (esx_service/vmdk_ops_test.py)", () => {
  for (const [full, volume, datastore, parses] of VDVS_NAME_PARSE_CASES) {
    it(`VolumeNamingTestCase.test_name_parse: ${full.length > 40 ? `${full.slice(0, 30)}… (${full.length})` : full}`, () => {
      const parsed = parseVdvsVolumeName(full);
      if (!parses) return assert.ok(parsed.error, 'expected a parse error');
      assert.deepEqual(parsed, { volume, datastore: datastore ?? undefined });
    });
  }

  it('ValidationTestCase.test_success: sizes × policies × formats on vSAN', () => {
    const { ctx, sizes, policies, formats } = VDVS_VALIDATION_CASES;
    for (const size of sizes)
      for (const policy of policies)
        for (const diskformat of formats) {
          for (const options of [
            { size, 'vsan-policy-name': policy, diskformat },
            { size },
            { 'vsan-policy-name': policy },
            { diskformat },
          ])
            assert.equal(validateCreate({ name: 'vol', options }, ctx), undefined, JSON.stringify(options));
        }
  });
  it('ValidationTestCase.test_failure: every option set is refused', () => {
    for (const options of VDVS_VALIDATION_CASES.failures)
      assert.ok(validateCreate({ name: 'vol', options }, VDVS_VALIDATION_CASES.ctx), JSON.stringify(options));
  });
});

describe('vDVS names', () => {
  for (const name of VALID_NAMES)
    it(`accepts ${name.length > 30 ? `${name.slice(0, 20)}… (${name.length})` : name}`, () =>
      assert.equal(validateVolumeName(name), undefined));

  it("refuses / and \\ in the volume part with vDVS's text, one character", () => {
    assert.equal(validateVolumeName('a/b'), "'Volume name contains illegal characters: /'");
    assert.equal(validateVolumeName('a\\b@ds'), "'Volume name contains illegal characters: \\\\'");
  });
  it('counts 100 characters per part, not for the whole name', () => {
    assert.equal(validateVolumeName(`${'v'.repeat(100)}@${'d'.repeat(100)}`), undefined);
  });
  it("corrects the datastore's case to the host's spelling", () => {
    assert.deepEqual(parseVdvsVolumeName('vol@DataStore1', ['nfs', 'datastore1']), { volume: 'vol', datastore: 'datastore1' });
    assert.deepEqual(parseVdvsVolumeName('vol@nomatch', ['datastore1']), { volume: 'vol', datastore: 'nomatch' });
  });
  it('names _VM_DS as the default datastore without a Config DB, the tenant default with one', () => {
    assert.match(validateDatastore('x', ['datastore1'])!, /\nDefault datastore: _VM_DS$/);
    assert.match(validateDatastore('x', ['datastore1'], 'datastore1')!, /\nDefault datastore: datastore1$/);
  });
});

describe('server errors', () => {
  it('explains the 0.20+ protocol mismatch text (vmdk_ops.py execRequestThread)', () => {
    const text =
      'There is a mismatch between VDVS client (Docker plugin) protocol version\n' +
      '                                    (3) and server (ESXi) protocol version (2) which indicates different\n' +
      '                                    versions of the product are installed on Guest and ESXi sides,\n' +
      '                                    please make sure VDVS plugin and driver are from the same release version.\n' +
      '                                    ';
    const explained = explainServerError(`Error response from daemon: create v: VolumeDriver.Create: ${text}`);
    assert.equal(explained.message, text.trimEnd());
    assert.match(explained.explanation ?? '', /protocol versions/);
  });
});

describe('validateOption (the wizard checks one field at a time)', () => {
  it('gives the same text as the whole-request validation', () => {
    for (const row of RULE_ROWS.filter(
      (r) =>
        Object.keys(r.options).length === 1 &&
        r.expected &&
        !r.expected.startsWith('Invalid options') &&
        !r.expected.startsWith('Server returned') &&
        !r.ctx?.configDb &&
        !r.name.includes('-0000') &&
        !/illegal|too long|-NNNNNN|Found multiple/.test(r.expected),
    )) {
      const [key, value] = Object.entries(row.options)[0];
      assert.equal(validateOption(key as never, value, row.options, row.ctx), row.expected, row.title);
    }
  });
  it('skips a rule whose fact is unknown (vSAN or not)', () => {
    assert.equal(validateOption('vsan-policy-name', 'gold', { 'vsan-policy-name': 'gold' }, {}), undefined);
  });
  it('lists the schema in vDVS order with its defaults', () => {
    assert.deepEqual(
      VDVS_OPTIONS.map((o) => [o.key, o.vdvsDefault]),
      [
        ['size', '100mb'],
        ['vsan-policy-name', '[VSAN default]'],
        ['diskformat', 'thin'],
        ['attach-as', 'independent_persistent'],
        ['access', 'read-write'],
        ['fstype', 'ext4'],
        ['clone-from', 'None'],
      ],
    );
    assert.deepEqual(
      VDVS_OPTIONS.filter((o) => o.editable).map((o) => o.key),
      ['attach-as', 'access'],
    );
  });
});
