import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact } from '../../src/core/redact';
import { errorMessage, UserError } from '../../src/core/errors';

describe('redact', () => {
  it('masks every occurrence of a known secret', () => {
    assert.equal(redact('login root/s3cret failed: s3cret', ['s3cret']), 'login root/*** failed: ***');
  });
  it('masks URL passwords even when the secret is unknown', () => {
    assert.equal(redact('GET https://root:pa55@esx.lab/sdk'), 'GET https://root:***@esx.lab/sdk');
  });
  it('leaves text without secrets alone and ignores empty secrets', () => {
    assert.equal(redact('ssh://docker@host', ['', undefined]), 'ssh://docker@host');
  });
});

describe('errorMessage', () => {
  it('joins a UserError with its hint', () => {
    assert.equal(errorMessage(new UserError('Wrong password for root.', 'Re-enter it.')), 'Wrong password for root. Re-enter it.');
  });
  it('uses the message of plain errors and stringifies the rest', () => {
    assert.equal(errorMessage(new Error('boom')), 'boom');
    assert.equal(errorMessage(42), '42');
  });
});
