import type { Diagnostic } from '../diagnostics.js';
import { colorEnabled } from '../report/text.js';
import { formatDiagnostics } from '../validate/format.js';

/** Print diagnostics of one runbook in the stylish format on stderr. */
export function printDiagnostics(diagnostics: Diagnostic[], _text?: string): void {
  if (!diagnostics.length) return;
  const file = diagnostics[0].file;
  process.stderr.write(formatDiagnostics([{ file, diagnostics }], 'stylish', { color: colorEnabled(process.stderr) }));
}
