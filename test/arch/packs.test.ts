/**
 * Built-in packs are written like third-party ones: each imports only its own files, the public
 * plugin API (engine/plugins/api.ts, published as `irun/plugin`) and the shared AWS layer
 * (plugins/aws-common). No pack imports another pack or the engine's internals.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const API = 'engine/plugins/api.ts';
const SHARED = 'plugins/aws-common/';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports (static, re-exports and dynamic) of one file, as repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g;
  return [...text.matchAll(re)].map((m) =>
    relative(root, resolve(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts'))),
  );
}

/** Imports of `file` (a repository path under plugins/) that break the rule above. */
export function packViolations(file: string, deps: string[]): string[] {
  const own = file.split('/').slice(0, 2).join('/') + '/';
  return deps.filter((d) => d !== API && !d.startsWith(own) && !d.startsWith(SHARED));
}

describe('architecture: packs', () => {
  it('every built-in pack imports only itself, the plugin API and plugins/aws-common', () => {
    const found: string[] = [];
    for (const file of sources(join(root, 'plugins'))) {
      const rel = relative(root, file);
      for (const dep of packViolations(rel, importsOf(file))) found.push(`${rel} -> ${dep}`);
    }
    expect(found, found.join('\n')).to.deep.equal([]);
  });

  it('flags an engine internal and another pack (the check itself works)', () => {
    expect(
      packViolations('plugins/aws-s3/x.ts', [
        'engine/errors.ts',
        'engine/util/duration.ts',
        'plugins/aws-s3control/account.ts',
        'plugins/aws-s3/acl.ts',
        'plugins/aws-common/s3.ts',
        API,
      ]),
    ).to.deep.equal(['engine/errors.ts', 'engine/util/duration.ts', 'plugins/aws-s3control/account.ts']);
  });
});
