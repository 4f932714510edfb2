import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';

// The import rules of docs/ARCHITECTURE.md, checked over the sources (not over what a bundle happens to include).
const ROOT = join(__dirname, '../../..');
const SRC = join(ROOT, 'src');

interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every import of every file under src/, relative ones resolved to src-relative paths without extension. */
function imports(): Import[] {
  const found: Import[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file).replace(/\.ts$/, '');
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\(|require\()\s*'([^']+)'/g)) {
      const spec = m[1];
      found.push({ from, to: spec.startsWith('.') ? normalize(join(dirname(from), spec)) : `npm:${spec}` });
    }
  }
  return found;
}

const all = imports();
const violations = (rule: (i: Import) => boolean) => all.filter(rule).map((i) => `${i.from} -> ${i.to}`);

describe('architecture (docs/ARCHITECTURE.md)', () => {
  it('reads the sources', () => {
    assert.ok(all.length > 300, `only ${all.length} imports found under ${SRC}`);
  });
  it('src/core never imports vscode, src/ui or the entry points', () => {
    assert.deepEqual(
      violations(
        (i) => i.from.startsWith('core/') && (i.to === 'npm:vscode' || i.to.startsWith('ui/') || i.to === 'extension' || i.to === 'cli'),
      ),
      [],
    );
  });
  it('the activation shell (extension.ts) imports only vscode and ui/lazyTree at run time; the rest is type-only', () => {
    const runtime = [...readFileSync(join(SRC, 'extension.ts'), 'utf8').matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map(
      (m) => m[1],
    );
    assert.deepEqual(runtime.sort(), ['./ui/lazyTree', 'vscode']);
    assert.deepEqual(
      violations((i) => i.from === 'ui/lazyTree' && i.to !== 'npm:vscode'),
      [],
    );
  });
  it('views and tasks never import commands', () => {
    assert.deepEqual(
      violations((i) => /^ui\/(trees|tasks)\//.test(i.from) && i.to.startsWith('ui/commands/')),
      [],
    );
  });
  it('core/ssh stands on the core root only (the Docker and ESXi sides build on it, not the other way)', () => {
    assert.deepEqual(
      violations((i) => i.from.startsWith('core/ssh/') && /^core\/(docker|esx|vsphere|vdvs|backup)\//.test(i.to)),
      [],
    );
  });
  it('nothing in core imports core/doctor (the doctor sits on top of the other areas; cli.ts and ui/ use it)', () => {
    assert.deepEqual(
      violations((i) => i.from.startsWith('core/') && !i.from.startsWith('core/doctor/') && i.to.startsWith('core/doctor/')),
      [],
    );
  });
  it('only ui/connections.ts opens Docker connections and vSphere sessions in the extension', () => {
    const opens = sourceFiles(join(SRC, 'ui'))
      .filter((f) => /DockerConnection\.(open|using)\(|connectToHost\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    assert.deepEqual(opens, ['ui/connections.ts']);
  });
});
