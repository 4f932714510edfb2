import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkJob } from '../../src/core/backup/job';

const base = { dockerHost: 'h', destination: '/b' };

describe('job: hooks and stopTimeoutSeconds', () => {
  it('takes pre and post hooks and the stop timeout', () => {
    const hooks = {
      pre: [{ container: 'db', command: ['sh', '-c', 'pg_dump app > /data/dump.sql'] }],
      post: [{ container: 'db', command: ['rm', '/data/dump.sql'] }],
    };
    const job = checkJob({ ...base, hooks, stopContainers: true, stopTimeoutSeconds: 5 }, 'x');
    assert.deepEqual(job.hooks, hooks);
    assert.equal(job.stopTimeoutSeconds, 5);
    assert.equal(checkJob(base, 'x').stopTimeoutSeconds, undefined, 'absent: the default (30 s) applies');
  });

  for (const [what, job, msg] of [
    ['hooks that are a list', { hooks: [] }, /"hooks" must be an object/],
    ['an unknown hooks key', { hooks: { before: [] } }, /"hooks" has unknown key\(s\) before/],
    ['a hook without container', { hooks: { pre: [{ command: ['true'] }] } }, /hooks\.pre\[0\] needs "container"/],
    [
      'a hook whose command is a string',
      { hooks: { post: [{ container: 'db', command: 'pg_dump' }] } },
      /hooks\.post\[0\] needs "command": a non-empty list of strings/,
    ],
    [
      'an unknown hook key',
      { hooks: { pre: [{ container: 'db', command: ['true'], user: 'root' }] } },
      /hooks\.pre\[0\] has unknown key\(s\) user/,
    ],
    ['a negative stop timeout', { stopTimeoutSeconds: -1 }, /"stopTimeoutSeconds" must be a whole number/],
    ['a stop timeout as text', { stopTimeoutSeconds: '10' }, /"stopTimeoutSeconds" must be a whole number/],
  ] as const) {
    it(`rejects ${what}`, () => assert.throws(() => checkJob({ ...base, ...job }, 'job j'), msg));
  }
});
