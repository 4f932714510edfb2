import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { EsxiHostConfig } from '../../src/core/config';
import type { PickItem } from '../../src/ui/prompter';
import type { TestApi } from '../../src/ui/testApi';
import { activateTestApi } from './extensionApi';

/**
 * The first five minutes (issue 18): a trust prompt that a stray Enter cannot accept (the certificate
 * of an ESXi host, the SSH host key of its shell), and a wrong password told in the password box
 * itself. The questions are answered through the commands' `prompter`, as a user at the keyboard
 * would: Enter takes the preselected item of a pick; a password box checks what was typed before it
 * closes.
 */
const P = `t18-trust${process.pid}`;

describe('Trust prompts and the password box', () => {
  const lab = JSON.parse(readFileSync(join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json'), 'utf8'));
  const config = () => vscode.workspace.getConfiguration('vdvs');
  const configured = () => config().get<EsxiHostConfig[]>('esxiHosts', []);
  let api: TestApi;
  const added: string[] = [];

  before(async () => {
    api = await activateTestApi();
  });
  after(async () => {
    for (const id of added) await api.removeHost('esxi', id);
  });

  interface Asked {
    id: string;
    title: string;
    placeholder: string;
    items: PickItem<unknown>[];
  }
  /** Enter on a pick: the preselected item (the first when none is), as the quick pick does. */
  const enterOnEveryPick = (asked: Asked[]) => ({
    pick: async (s: Asked) => {
      asked.push(s);
      return (s.items.find((i) => i.picked) ?? s.items[0]).value;
    },
    input: async () => undefined,
    confirm: async () => undefined,
    notify: async () => undefined,
  });
  const shown = (a: Asked) => [a.title, a.placeholder, ...a.items.flatMap((i) => [i.label, i.description, i.detail])].join('\n');

  it('an Enter at the certificate prompt does not pin it: the first, preselected item is "Don\'t trust"', async function () {
    this.timeout(30_000);
    const asked: Asked[] = [];
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('vdvs.esxi.addHost', {
          url: lab.vsphere.url,
          user: lab.vsphere.user,
          password: lab.vsphere.password,
          name: `${P}-enter`,
          prompter: enterOnEveryPick(asked),
        }),
      ),
      /Not trusted/,
    );
    assert.equal(asked.length, 1, 'one question: the certificate');
    assert.match(asked[0].items[0].label, /Don't trust/);
    assert.equal(asked[0].items[0].picked, true);
    assert.ok(shown(asked[0]).includes(lab.vsphere.thumbprint), `the prompt shows the thumbprint:\n${shown(asked[0])}`);
    assert.ok(!configured().some((h) => h.name === `${P}-enter`), 'the host was saved');
  });

  it('an Enter at the SSH host key prompt does not pin it', async function () {
    this.timeout(60_000);
    const host = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.addHost', {
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      password: lab.vsphere.password,
      name: `${P}-ssh`,
      trustThumbprint: lab.vsphere.thumbprint,
    });
    assert.ok(host, 'the host was not added (see the log)');
    added.push(host.id);
    const asked: Asked[] = [];
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('vdvs.esxi.configureSsh', {
          hostId: host.id,
          host: lab.ssh.host,
          port: lab.ssh.port,
          user: lab.ssh.user,
          auth: 'password',
          secret: lab.ssh.password,
          prompter: enterOnEveryPick(asked),
        }),
      ),
      /was not trusted/,
    );
    assert.equal(asked.length, 1, 'one question: the host key');
    assert.match(asked[0].items[0].label, /Don't trust/);
    assert.ok(shown(asked[0]).includes(lab.ssh.hostKeyFingerprint), `the prompt shows the host key:\n${shown(asked[0])}`);
    assert.equal(configured().find((h) => h.id === host.id)?.ssh, undefined, 'SSH was set up');
  });

  /** A password box: tries each typed password with the box's check, in order, until one passes. */
  const typing = (passwords: string[], told: (string | undefined)[]) => ({
    pick: async () => undefined,
    confirm: async () => undefined,
    notify: async () => undefined,
    input: async (s: { password?: boolean; check?: (v: string) => Promise<string | undefined> }) => {
      assert.ok(s.password, 'the box hides what is typed');
      assert.ok(s.check, 'the password box checks the password before it closes');
      for (const p of passwords) {
        const message = await s.check(p);
        told.push(message);
        if (message === undefined) return p;
      }
      return undefined;
    },
  });

  it('Add ESXi Host: a wrong password is told in the password box, which stays open for the right one', async function () {
    this.timeout(60_000);
    const told: (string | undefined)[] = [];
    const host = await vscode.commands.executeCommand<EsxiHostConfig | undefined>('vdvs.esxi.addHost', {
      url: lab.vsphere.url,
      user: lab.vsphere.user,
      name: `${P}-pw`,
      trustThumbprint: lab.vsphere.thumbprint,
      prompter: typing(['not-the-password', lab.vsphere.password], told),
    });
    assert.ok(host, 'the host was not added');
    added.push(host.id);
    assert.equal(told.length, 2);
    assert.match(told[0] ?? '', /wrong user name or password/);
    assert.equal(told[1], undefined);
    assert.equal(await api.getSecret('esxi', host.id, 'password'), lab.vsphere.password);
  });

  it('Re-enter Password: a wrong one is told in the box and not stored', async function () {
    this.timeout(60_000);
    const hostId = added[0];
    assert.ok(hostId, 'no host added');
    const told: (string | undefined)[] = [];
    await vscode.commands.executeCommand('vdvs.esxi.reenterPassword', {
      hostId,
      prompter: typing(['still-wrong', lab.vsphere.password], told),
    });
    assert.match(told[0] ?? '', /wrong user name or password/);
    assert.equal(told[1], undefined);
    assert.equal(await api.getSecret('esxi', hostId, 'password'), lab.vsphere.password);
  });
});
