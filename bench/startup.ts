/**
 * Where `irun validate`'s time goes: the same work as the CLI, in the same order, timed piece by
 * piece in a fresh process (run as a bench worker).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ROOT } from './lib.js';

export async function startupWorker(params: { files: string[] }) {
  // performance.now() counts from the start of the process: what node took before our code ran.
  const t0 = performance.now();
  const { Config } = await import('@oclif/core');
  const config = await Config.load({ root: ROOT });
  const cmd = config.findCommand('validate');
  await cmd?.load();
  const t1 = performance.now();
  const { validatePaths } = await import('../engine/validate/index.js');
  await import('../engine/validate/format.js');
  const { Registry } = await import('../engine/plugins/registry.js');
  const { compile } = await import('../engine/schema/ajv.js');
  const { runbookSchema } = await import('../engine/validate/schema.js');
  const t2 = performance.now();
  compile(runbookSchema());
  const t3 = performance.now();
  // The action packs the runbooks use (imported and checked once per process).
  const registry = new Registry();
  const namespaces = new Set<string>();
  for (const f of params.files) {
    if (!/\.ya?ml$/.test(f)) continue;
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:-\s+)?action:\s*"?([a-z][\w.-]*)\.[A-Za-z]\w*"?\s*$/gm))
      namespaces.add(m[1]);
  }
  for (const ns of namespaces) if (await registry.hasNamespace(ns)) await registry.pack(ns);
  const t4 = performance.now();
  const results = await validatePaths(
    params.files.map((f) => path.resolve(f)),
    { cwd: ROOT },
  );
  const t5 = performance.now();
  if (results.some((r) => r.diagnostics.some((d) => d.severity === 'error')))
    throw new Error('the benchmark runbooks do not validate');
  return {
    nodeBootMs: t0,
    oclifMs: t1 - t0,
    modulesMs: t2 - t1,
    schemaCompileMs: t3 - t2,
    packsMs: t4 - t3,
    validateMs: t5 - t4,
    totalInProcessMs: t5,
  };
}
