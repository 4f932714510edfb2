#!/usr/bin/env node
// `npm run try`: the extension in a real VS Code (code-server, in your browser) next to the local lab.
// Runs scripts/setup.sh when the set-up is missing, builds the bundle, starts the lab if it is not
// running, starts code-server with the extension loaded from this working tree and the lab wired in
// (the extension's "Connect the Local Lab" at its start, VDVS_LAB_CONNECT=1: ESXi host and vCenter with
// pinned thumbprints, SSH with the lab key and pinned host key, the Docker host, the plugin reference, a
// backup task; passwords in SecretStorage), prints the URL, and stops what it started on Ctrl-C.
//   npm run try -- --empty    the bare start (nothing configured: the walkthrough from zero)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { ensureSetup } from './ensureSetup.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const step = (args) => {
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

const empty = process.argv.includes('--empty');

ensureSetup(root);

step(['esbuild.mjs']);
step([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json']); // the code-server harness lives in out/
const startedLab = spawnSync(node, ['lab/lab.mjs', 'status', '--quiet'], { cwd: root }).status !== 0;
if (startedLab) step(['lab/lab.mjs', 'start']);

// The harness that the UI tests use: provisions code-server if needed, kills it by PID on exit.
const { CodeServer } = createRequire(import.meta.url)(join(root, 'out/test/ui/harness.js'));
const server = await CodeServer.start({
  env: { VDVS_LAB_DIR: process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', ...(empty ? {} : { VDVS_LAB_CONNECT: '1' }) },
});
const lab = JSON.parse(readFileSync(join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json'), 'utf8'));

const url = server.url({ extensionDevelopmentPath: root });
if (!empty)
  console.log(`
vSphere Docker Volumes is running in VS Code (code-server), with the local lab already connected:

  ${url}

Open it in a browser on this machine, then the "vSphere Docker Volumes" container: the lab's ESXi host
(${lab.vsphere.url}), vCenter (${lab.vcenter.url}) and Docker host (${lab.docker.host}) are there,
SSH and the plugin reference (${lab.plugin.ref}) set up, and the task "Back up the lab volumes" in the
workspace (Terminal > Run Task). "vDVS: Connect the Local Lab" does it again; npm run try -- --empty starts bare.
`);
else
  console.log(`
vSphere Docker Volumes is running in VS Code (code-server), nothing configured:

  ${url}

Open it in a browser on this machine. Then, in the "vSphere Docker Volumes" container:
  ESXi host     ${lab.vsphere.url}   user ${lab.vsphere.user}   password ${lab.vsphere.password}
                thumbprint ${lab.vsphere.thumbprint}
  ESXi SSH      ${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port}   key ${lab.ssh.keyPath}
                host key ${lab.ssh.hostKeyFingerprint}
  test VIB      ${lab.vib.path}
  Docker host   ${lab.docker.host}
  plugin        ${lab.plugin.ref}   (set vdvs.plugin.reference to it)
  (or run "vDVS: Connect the Local Lab")
`);
console.log(`
Press Ctrl-C to stop${startedLab ? ' code-server and the lab' : ' code-server (the lab was already running and stays up)'}.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  if (startedLab) step(['lab/lab.mjs', 'stop']);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
