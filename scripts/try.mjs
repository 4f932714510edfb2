#!/usr/bin/env node
// `npm run try`: the extension in a real VS Code (code-server, in your browser) next to the local lab.
// Builds the bundle, starts the lab if it is not running, starts code-server with the extension loaded
// from this working tree, prints the URL and the lab's credentials, and stops what it started on Ctrl-C.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;
const step = (args) => {
  const r = spawnSync(node, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

step(['esbuild.mjs']);
step([join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json']); // the code-server harness lives in out/
const startedLab = spawnSync(node, ['lab/lab.mjs', 'status', '--quiet'], { cwd: root }).status !== 0;
if (startedLab) step(['lab/lab.mjs', 'start']);

// The harness that the UI tests use: provisions code-server if needed, kills it by PID on exit.
const { CodeServer } = createRequire(import.meta.url)(join(root, 'out/test/ui/harness.js'));
const server = await CodeServer.start({ env: { VDVS_LAB_DIR: process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab' } });
const lab = JSON.parse(readFileSync(join(process.env.VDVS_LAB_DIR ?? '/tmp/vdvs-lab', 'lab.json'), 'utf8'));

console.log(`
vSphere Docker Volumes is running in VS Code (code-server):

  ${server.url({ extensionDevelopmentPath: root })}

Open it in a browser on this machine. Then, in the "vSphere Docker Volumes" container:
  ESXi host     ${lab.vsphere.url}   user ${lab.vsphere.user}   password ${lab.vsphere.password}
                thumbprint ${lab.vsphere.thumbprint}
  ESXi SSH      ${lab.ssh.user}@${lab.ssh.host}:${lab.ssh.port}   key ${lab.ssh.keyPath}
                host key ${lab.ssh.hostKeyFingerprint}
  test VIB      ${lab.vib.path}
  Docker host   ${lab.docker.host}
  plugin        ${lab.plugin.ref}   (set vdvs.plugin.reference to it)

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
