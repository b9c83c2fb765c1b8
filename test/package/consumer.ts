/**
 * An empty project that installs irun from its packed tarball, as a user does: `npm pack` of the
 * built package, then `npm ci --offline` against a lockfile derived from the repository's own
 * lockfile. The dependencies therefore come from the local npm cache (which `npm ci` in this
 * checkout has just filled), never from the repository's node_modules and never from the network.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  link?: boolean;
  [key: string]: unknown;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

export function npm(args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
    cwd,
    encoding: 'utf8',
    // npm run test passes its own lifecycle settings down; the consumer project must not see them
    env: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^npm_(lifecycle|package|config_(prefix|global|offline))/i.test(k)),
    ),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** `npm pack` the repository (already built) into `dest`; returns the tarball's file name and its entries. */
export function packInto(root: string, dest: string): { filename: string; files: string[] } {
  const r = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dest], root);
  if (r.status !== 0) throw new Error(`npm pack failed (${r.status}): ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return { filename: info.filename, files: info.files.map((f) => f.path) };
}

/**
 * Write package.json and package-lock.json of a project that depends on the tarball only. The
 * lock lists exactly irun's production dependency tree as the repository resolved it, so
 * `npm ci --offline` finds every package in the cache.
 */
export function writeConsumer(root: string, dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as Lockfile;
  const spec = `file:${tarball}`;
  const packages: Record<string, unknown> = {
    '': { name: 'irun-consumer', version: '1.0.0', dependencies: { irun: spec } },
    'node_modules/irun': {
      version: pkg.version,
      resolved: spec,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key || entry.dev || entry.link || !key.startsWith('node_modules/')) continue;
    const { devOptional, ...rest } = entry;
    packages[key] = devOptional ? { ...rest, optional: true } : rest;
  }
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'irun-consumer', version: '1.0.0', private: true, type: 'module', dependencies: { irun: spec } }, null, 2)}\n`,
  );
  writeFileSync(
    path.join(dir, 'package-lock.json'),
    `${JSON.stringify({ name: 'irun-consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
}
