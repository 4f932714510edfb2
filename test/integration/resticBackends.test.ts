import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { labBackends, readResticLab, restic, ResticBackend, ResticLab, ResticRepo, startRestic, uniqueName } from '../fixtures/resticLab';

// The lab's restic repositories (lab/pieces/restic.mjs) with the Debian restic 0.14.0: each backend
// stores and returns bytes, and each failure a restic destination must tell apart prints the text
// below (exit code 1 for all of them in 0.14).

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A loopback port nothing listens on. */
function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

/** restic's own spelling of a URL in its messages: a REST password becomes `***`. */
const shown = (url: string) => url.replace(/^(rest:https?:\/\/[^:/@]+):[^@]*@/, '$1:***@');

const notThere = (url: string) => `Is there a repository at the following location?\n${shown(url)}\n`;

/** What restic 0.14 prints for "no repository here", per backend (after `unable to open config file: `). */
function noConfigText(b: ResticBackend['name'], url: string): string {
  switch (b) {
    case 'local':
      return `stat ${url}/config: no such file or directory`;
    case 'sftp':
      return 'Lstat: file does not exist';
    case 'rest':
      return '<config/> does not exist';
    case 's3':
      return 'Stat: The specified key does not exist.';
  }
}

// restic prints the holder of a lock like this (cmd/restic/lock.go → restic.alreadyLockedError, lock.String())
const lockedText = (how: '' | ' exclusively', pid: number) =>
  new RegExp(
    `^unable to create lock in backend: repository is already locked${how} by PID ${pid} on ${hostname()} by ${userInfo().username} ` +
      `\\(UID ${userInfo().uid}, GID ${userInfo().gid}\\)\\n` +
      'lock was created at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\([^)]+ ago\\)\\n' +
      'storage ID [0-9a-f]{8}\\n' +
      'the `unlock` command can be used to remove stale locks\\n$',
  );

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * restic's sftp failure: ssh's stderr, each line as `subprocess ssh: …`, then the Fatal line. restic 0.14
 * races its reading of ssh's stderr against the failed sftp start: now and then the ssh lines are
 * missing, and the error is `read |0: file already closed` instead of `EOF`. So ssh's own reason is
 * checked by running the same ssh command line (sshSays).
 */
const sftpFailure = (url: string) =>
  new RegExp(
    `^(?:subprocess ssh: .*\\n)*Fatal: unable to open repository at ${escape(url)}: unable to start the sftp session, error: (?:EOF|read \\|0: file already closed)\\n$`,
  );

/** The stderr of the repository's sftp.command (what restic runs), with nothing on its stdin. */
function sshSays(repo: ResticRepo): string {
  const command = repo.options.find((o) => o.startsWith('sftp.command='))?.slice('sftp.command='.length) ?? '';
  const [cmd, ...args] = command.split(' ');
  const r = spawnSync(cmd, args, { input: '', encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 255);
  return r.stderr.replace(/\r\n/g, '\n'); // ssh ends some lines with CR LF
}

describe('restic 0.14 against the lab repositories', () => {
  let lab: ResticLab;
  const cache = mkdtempSync(join(tmpdir(), 'vdvs-restic-cache-'));
  const made: Array<() => void> = [];

  before(async () => {
    lab = await readResticLab();
    assert.equal(lab.version, '0.14.0');
  });

  after(() => {
    for (const rm of made) rm();
    rmSync(cache, { recursive: true, force: true });
  });

  for (const name of ['local', 'sftp', 'rest', 's3'] as const) {
    describe(name, () => {
      let backend: ResticBackend;
      let repo: ResticRepo;
      const sub = uniqueName(name);

      before(async () => {
        const b = labBackends(lab).find((x) => x.name === name);
        // sftp needs the esxi-shell piece, s3 the npm package s3rver (lab.json restic.sftp / restic.s3 null otherwise)
        const why = {
          local: '',
          rest: '',
          sftp: ': start the lab with the esxi-shell piece',
          s3: ': the npm package s3rver is not installed',
        };
        assert.ok(b, `lab.json has no restic ${name} backend${why[name]}`);
        backend = b;
        repo = { url: b.url(sub), options: b.options, env: { ...b.env, RESTIC_CACHE_DIR: cache } };
        made.push(() => {
          const dir = {
            local: lab.local.path,
            sftp: lab.sftp?.hostPath,
            rest: lab.rest.dir,
            s3: lab.s3 && join(lab.s3.dir, lab.s3.bucket),
          }[name];
          if (dir) rmSync(join(dir, sub), { recursive: true, force: true });
        });
        const init = await restic(lab, repo, ['init']);
        assert.equal(init.code, 0, init.stderr);
        assert.match(init.stdout.toString(), /^created restic repository [0-9a-f]{10} at /);
      });

      it('keeps the bytes of a backup --stdin: dump latest has the same sha256', async () => {
        const data = randomBytes(3 * 2 ** 20 + 17);
        const backup = await restic(lab, repo, ['backup', '--stdin', '--stdin-filename', 'x', '--tag', 'vdvs-it'], { stdin: data });
        assert.equal(backup.code, 0, backup.stderr);
        const dump = await restic(lab, repo, ['dump', 'latest', 'x']);
        assert.equal(dump.code, 0, dump.stderr);
        assert.equal(sha256(dump.stdout), sha256(data));
      });

      it('refuses a second init of the same repository, each backend in its own words', async () => {
        const again = await restic(lab, repo, ['init']);
        assert.equal(again.code, 1);
        // s3's Create does not look for a config, so restic's repository.Init is the one that refuses
        const why = {
          local: 'repository at URL failed: config file already exists',
          sftp: 'repository at URL failed: config file already exists',
          rest: 'repository at URL failed: Fatal: config file already exists',
          s3: 'key in repository at URL failed: repository master key and config already initialized',
        }[name].replace('URL', shown(repo.url));
        assert.equal(again.stderr, `Fatal: create ${why}\n\n`);
      });

      it('says "wrong password or no key found" for a wrong repository password', async () => {
        const r = await restic(lab, repo, ['snapshots'], { password: `${lab.password}-not` });
        assert.equal(r.code, 1);
        assert.equal(r.stderr, 'Fatal: wrong password or no key found\n');
      });

      it('asks "Is there a repository at the following location?" where there is none', async () => {
        const url = backend.url(`${sub}-none`);
        const r = await restic(lab, { ...repo, url }, ['snapshots']);
        assert.equal(r.code, 1);
        assert.equal(r.stderr, `Fatal: unable to open config file: ${noConfigText(name, url)}\n${notThere(url)}`);
      });

      it('tells which PID holds the lock: a running backup blocks check and prune, not another backup', async () => {
        const holder = startRestic(lab, repo, ['backup', '--stdin', '--stdin-filename', 'slow']);
        holder.child.stdin.write(randomBytes(4096)); // restic takes its lock before reading stdin; the stream stays open
        try {
          let locks = '';
          for (let i = 0; i < 100 && !locks; i++) {
            locks = (await restic(lab, repo, ['list', 'locks', '--no-lock'])).stdout.toString().trim();
          }
          assert.match(locks, /^[0-9a-f]{64}$/);
          for (const cmd of [['check'], ['prune'], ['forget', '--keep-last', '1', '--prune']]) {
            const r = await restic(lab, repo, cmd);
            assert.equal(r.code, 1, `${cmd[0]}: ${r.stderr}`);
            assert.match(r.stderr, lockedText('', holder.child.pid ?? -1), cmd[0]);
            assert.ok(r.stderr.includes(`storage ID ${locks.slice(0, 8)}\n`));
          }
          const other = await restic(lab, repo, ['backup', '--stdin', '--stdin-filename', 'y'], { stdin: Buffer.from('y') });
          assert.equal(other.code, 0, other.stderr); // backups share the lock
        } finally {
          holder.child.stdin.end();
        }
        const done = await holder.done;
        assert.equal(done.code, 0, done.stderr);
        const check = await restic(lab, repo, ['check']);
        assert.equal(check.code, 0, check.stderr);
      });

      if (name !== 'local') {
        it('names the refused connection when nothing listens at the repository', async () => {
          const port = await deadPort();
          const r = await restic(lab, unreachable(name, repo, port), ['snapshots']);
          assert.equal(r.code, 1);
          const url = unreachable(name, repo, port).url;
          const refused = `dial tcp 127.0.0.1:${port}: connect: connection refused`;
          const expected = {
            sftp: sftpFailure(url),
            rest: `Fatal: unable to open config file: client.Head: Head "${shown(url).slice('rest:'.length)}config": ${refused}\n${notThere(url)}`,
            s3: `Fatal: unable to open config file: Stat: Get "https://127.0.0.1:${port}/${lab.s3?.bucket}/?location=": ${refused}\n${notThere(url)}`,
          }[name];
          if (expected instanceof RegExp) {
            assert.match(r.stderr, expected);
            assert.equal(sshSays(unreachable(name, repo, port)), `ssh: connect to host 127.0.0.1 port ${port}: Connection refused\n`);
          } else assert.equal(r.stderr, expected);
        });
      }
    });
  }

  function unreachable(name: 'sftp' | 'rest' | 's3', repo: ResticRepo, port: number): ResticRepo {
    if (name === 'sftp') {
      const options = repo.options.map((o) => o.replace(/ -p \d+ /, ` -p ${port} `));
      return { ...repo, options };
    }
    return { ...repo, url: repo.url.replace(/127\.0\.0\.1:\d+\//, `127.0.0.1:${port}/`) };
  }

  describe('backend-specific refusals', () => {
    const sub = uniqueName('refusals');
    const repoOf = (name: ResticBackend['name'], url?: string): ResticRepo => {
      const b = labBackends(lab).find((x) => x.name === name);
      assert.ok(b);
      return { url: url ?? b.url(sub), options: b.options, env: { ...b.env, RESTIC_CACHE_DIR: cache } };
    };

    it('rest: a wrong server password is HTTP 401 (the URL shown with ***)', async () => {
      const url = repoOf('rest').url.replace(`:${lab.rest.password}@`, ':wrong@');
      const r = await restic(lab, repoOf('rest', url), ['snapshots']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Fatal: unable to open config file: unexpected HTTP response (401): 401 Unauthorized\n${notThere(url)}`);
    });

    it('sftp: a host key other than the pinned one stops ssh (never a prompt, never accepted)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'vdvs-restic-kh-'));
      made.push(() => rmSync(dir, { recursive: true, force: true }));
      const known = join(dir, 'known_hosts');
      // a well-formed line for [127.0.0.1]:port, with some other ed25519 key (the lab's user key)
      const other = readFileSync(`${lab.sftp?.keyPath}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
      writeFileSync(known, `[127.0.0.1]:${lab.sftp?.port} ${other}\n`);
      const base = repoOf('sftp');
      const options = base.options.map((o) => o.replace(/UserKnownHostsFile=\S+/, `UserKnownHostsFile=${known}`));
      const r = await restic(lab, { ...base, options }, ['snapshots']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, sftpFailure(base.url));
      const ssh = sshSays({ ...base, options });
      assert.match(ssh, /^@+\n@ +WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! +@\n/);
      assert.ok(
        ssh.endsWith(
          `Host key for [127.0.0.1]:${lab.sftp?.port} has changed and you have requested strict checking.\nHost key verification failed.\n`,
        ),
        ssh,
      );
    });

    it('s3: an unknown access key id, and a server certificate restic was not given', async () => {
      const base = repoOf('s3');
      const badKey = await restic(lab, { ...base, env: { ...base.env, AWS_ACCESS_KEY_ID: 'NOT-S3RVER' } }, ['snapshots']);
      assert.equal(badKey.code, 1);
      assert.equal(
        badKey.stderr,
        `Fatal: unable to open config file: Stat: The AWS Access Key Id you provided does not exist in our records.\n${notThere(base.url)}`,
      );
      const noCa = await restic(lab, { ...base, options: [] }, ['snapshots']);
      assert.equal(noCa.code, 1);
      assert.equal(
        noCa.stderr,
        `Fatal: unable to open config file: Stat: Get "${lab.s3?.endpoint}/${lab.s3?.bucket}/?location=": x509: certificate signed by unknown authority\n${notThere(base.url)}`,
      );
    });

    it('local: an exclusive lock left by a killed restic blocks a backup until `restic unlock` (the PID is gone: stale)', async () => {
      const repo = repoOf('local', join(lab.local.path, `${sub}-x`));
      made.push(() => rmSync(repo.url, { recursive: true, force: true }));
      assert.equal((await restic(lab, repo, ['init'])).code, 0);
      assert.equal((await restic(lab, repo, ['backup', '--stdin'], { stdin: Buffer.from('a') })).code, 0);
      // `check` holds an exclusive lock while it runs: kill it once its lock file is there
      let killed = -1;
      for (let attempt = 0; attempt < 20 && killed < 0; attempt++) {
        const check = startRestic(lab, repo, ['check']);
        check.child.stdin.end();
        const t0 = Date.now();
        const lockFile = () => readdirSync(join(repo.url, 'locks')).find((f) => /^[0-9a-f]{64}$/.test(f));
        while (!lockFile() && Date.now() - t0 < 5000); // restic runs meanwhile; a tight loop catches the short window
        if (lockFile()) {
          check.child.kill('SIGKILL');
          await check.done;
          if (lockFile()) killed = check.child.pid ?? -1;
        } else {
          await check.done;
        }
      }
      assert.ok(killed > 0, 'never caught restic check holding its lock');
      const blocked = await restic(lab, repo, ['backup', '--stdin'], { stdin: Buffer.from('b') });
      assert.equal(blocked.code, 1);
      assert.match(blocked.stderr, lockedText(' exclusively', killed));
      for (const cmd of [['snapshots'], ['dump', 'latest', 'stdin']]) {
        const read = await restic(lab, repo, cmd);
        assert.equal(read.code, 1, cmd[0]);
        assert.match(read.stderr, lockedText(' exclusively', killed), cmd[0]);
      }
      const noLock = await restic(lab, repo, ['dump', '--no-lock', 'latest', 'stdin']);
      assert.equal(noLock.stdout.toString(), 'a', noLock.stderr);
      const unlock = await restic(lab, repo, ['unlock']);
      assert.equal(unlock.code, 0, unlock.stderr);
      assert.equal(unlock.stdout.toString(), 'successfully removed locks\n');
      const after = await restic(lab, repo, ['backup', '--stdin'], { stdin: Buffer.from('c') });
      assert.equal(after.code, 0, after.stderr);
    });
  });
});
