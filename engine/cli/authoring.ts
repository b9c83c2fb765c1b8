/** Shared by the authoring commands (graph, docs, permissions): find, load and validate a runbook. */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import { Codes, ExitCode, IrunError } from '../errors.js';
import { printDiagnostics } from './diagnostics.js';
import { loadForRun, resolveRunbookPath, type ReadyRunbook } from './runbook.js';

/**
 * The runbook a command names (a path or a built-in name), validated: one with errors is refused
 * with its diagnostics printed on stderr (IRUN_RUNBOOK_INVALID), like `irun exec` does.
 */
export async function loadValidRunbook(arg: string): Promise<ReadyRunbook & { file: string }> {
  const file = resolveRunbookPath(arg);
  try {
    return { ...(await loadForRun(file)), file };
  } catch (err) {
    const diags = (err as { diagnostics?: Diagnostic[] }).diagnostics;
    if (diags) printDiagnostics(diags);
    throw err;
  }
}

/** Write `text` to `out` (creating folders), or return false when there is no `out`. */
export function writeOut(out: string | undefined, text: string): boolean {
  if (!out) return false;
  const full = path.resolve(out);
  try {
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
  } catch (cause) {
    throw new IrunError(Codes.WRITE_FAILED, `cannot write ${out}: ${(cause as Error).message}`, {
      cause,
      exit: ExitCode.FAILED,
    });
  }
  return true;
}
