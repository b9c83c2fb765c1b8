// Build step: write dist/plugins/manifest.json, the manifest of every built-in action pack, found by
// importing the compiled modules under dist/plugins (a module whose default export is a pack).
// The installed irun reads this file to list and validate, and imports a pack's module only when
// one of its actions runs. A new pack, or a pack moved to another file, needs no registration.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { discoverPacks } = await import(pathToFileURL(path.join(root, 'dist/engine/plugins/manifest.js')).href);
const dir = path.join(root, 'dist/plugins');
// only modules compiled from a current source: dist/ keeps the output of files since deleted
const fromSource = (rel) => existsSync(path.join(root, 'plugins', rel.replace(/\.js$/, '.ts')));
const manifest = await discoverPacks(dir, '.js', fromSource);
writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
