// Bundles the extension and the CLI. Libraries that activation does not need (soap, ssh2, dockerode,
// the VIB/ssh-config readers' fast-xml-parser, yauzl, ssh-config, the archive backups' tar-stream)
// each get their own bundle under dist/vendor/ and are loaded only when a feature first needs them
// (`await import('x')` in src/ becomes require('./vendor/x.js')); a static import of one of them is a
// build error.
import * as esbuild from 'esbuild';
import { rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const HEAVY = ['soap', 'ssh2', 'dockerode', 'fast-xml-parser', 'yauzl', 'ssh-config', 'tar-stream'];

/** @param {string} fromVendor */
function heavyModules(fromVendor) {
  return {
    name: 'heavy-modules',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^(${HEAVY.join('|')})$`) }, (args) => {
        if (args.path === fromVendor) return undefined; // the vendor bundle's own library
        if (args.kind === 'dynamic-import' || fromVendor) {
          return { path: `./${fromVendor ? '' : 'vendor/'}${args.path}.js`, external: true };
        }
        return { errors: [{ text: `${args.path} must be loaded lazily: use \`await import('${args.path}')\`` }] };
      });
      // ssh2's optional native add-ons: ssh2 falls back to pure JS when they are absent.
      build.onResolve({ filter: /(\.node$|^cpu-features$)/ }, (args) => ({ path: args.path, external: true }));
    },
  };
}

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify: production,
  // keep `import()` as require() so the extension host's module cache shows what was loaded
  supported: { 'dynamic-import': false },
  logLevel: 'info',
};

/** @type {esbuild.BuildOptions[]} */
const builds = [
  // the activation shell; it loads the features bundle on first use (a plain require of ./features.js)
  {
    ...common,
    entryPoints: { extension: 'src/extension.ts' },
    outdir: 'dist',
    external: ['vscode', './features.js'],
    plugins: [heavyModules('')],
  },
  { ...common, entryPoints: { features: 'src/ui/features.ts' }, outdir: 'dist', external: ['vscode'], plugins: [heavyModules('')] },
  { ...common, entryPoints: { cli: 'src/cli.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' }, plugins: [heavyModules('')] },
  // the worker thread of snapshot-mode downloads (src/core/vsphere/rangedDownload.ts loads it by this name)
  { ...common, entryPoints: { rangeWorker: 'src/core/vsphere/rangeWorker.ts' }, outdir: 'dist', plugins: [heavyModules('')] },
  ...HEAVY.map((name) => ({
    ...common,
    stdin: { contents: `module.exports = require('${name}');`, resolveDir: process.cwd(), sourcefile: `${name}.js` },
    outfile: `dist/vendor/${name}.js`,
    plugins: [heavyModules(name)],
  })),
];

if (!watch) rmSync('dist', { recursive: true, force: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
