/**
 * Child-process entry of the benchmarks: `node dist/bench/worker.js <kind> <json params>`.
 * Each kind runs in a fresh process (cold start-up, its own peak RSS) and emits one result.
 * Everything is imported lazily so that a kind loads only what it measures.
 */
import { emit } from './lib.js';

const [kind, raw] = process.argv.slice(2);
const params = JSON.parse(raw ?? '{}') as Record<string, unknown>;

switch (kind) {
  case 'startup': {
    const { startupWorker } = await import('./startup.js');
    emit(await startupWorker(params as { files: string[] }));
    break;
  }
  case 'steps':
  case 'foreach': {
    const { engineWorker } = await import('./engine.js');
    emit(await engineWorker(kind, params as never));
    break;
  }
  case 's3-server': {
    const { s3ServerWorker } = await import('./s3.js');
    await s3ServerWorker(params as never);
    break;
  }
  case 's3-client': {
    const { s3ClientWorker } = await import('./s3.js');
    emit(await s3ClientWorker(params as never));
    break;
  }
  default:
    process.stderr.write(`unknown bench worker '${kind}'\n`);
    process.exitCode = 2;
}
