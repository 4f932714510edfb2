import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateVolumeName } from '../../src/core/vdvs/names';
import { OPTION_KEYS, VDVS_OPTIONS } from '../../src/core/vdvs/options';
import { validateCreate, validateOption } from '../../src/core/vdvs/validate';
import { RULE_ROWS, VALID_NAMES } from '../fixtures/vdvsRules';

describe('vDVS create rules (table)', () => {
  for (const row of RULE_ROWS) {
    it(`${row.title} → ${row.expected === undefined ? 'accepted' : JSON.stringify(row.expected.slice(0, 60))}`, () => {
      assert.equal(validateCreate({ name: row.name, options: row.options }, row.ctx), row.expected);
    });
  }

  it('covers every option with a bad value or a conflict', () => {
    const failing = new Set(RULE_ROWS.filter((r) => r.expected !== undefined).flatMap((r) => Object.keys(r.options)));
    for (const key of OPTION_KEYS) assert.ok(failing.has(key), `no failing row for ${key}`);
  });
});

describe('vDVS names', () => {
  for (const name of VALID_NAMES)
    it(`accepts ${name.length > 30 ? `${name.slice(0, 20)}… (${name.length})` : name}`, () =>
      assert.equal(validateVolumeName(name), undefined));

  it('refuses / and \\ in the volume part', () => {
    assert.equal(validateVolumeName('a/b'), `"Volume name a/b contains illegal characters: ['/', '\\\\\\\\']"`);
    assert.equal(validateVolumeName('a\\b@ds'), `"Volume name a\\\\b contains illegal characters: ['/', '\\\\\\\\']"`);
  });
  it('counts 100 characters per part, not for the whole name', () => {
    assert.equal(validateVolumeName(`${'v'.repeat(100)}@${'d'.repeat(100)}`), undefined);
  });
});

describe('validateOption (the wizard checks one field at a time)', () => {
  it('gives the same text as the whole-request validation', () => {
    for (const row of RULE_ROWS.filter(
      (r) => Object.keys(r.options).length === 1 && r.expected && !r.expected.startsWith('Invalid options') && !r.name.includes('-0000'),
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
