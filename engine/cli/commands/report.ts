import { Args, Flags } from '@oclif/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Codes, ExitCode, IrunError } from '../../errors.js';
import type { ReportFormat } from '../../report/report.js';

const REPORT_FORMATS = ['md', 'html', 'json'];
import { runsDir } from '../../run/store.js';
import { BaseCommand, safe } from '../base.js';

const EXT: Record<string, ReportFormat> = {
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.json': 'json',
};

export default class Report extends BaseCommand {
  static override summary =
    'Write the incident report of a run: summary, timeline, decisions, changes, evidence, open items, review questions.';
  static override description = `Built from the run record (journal, evidence, run.json) and, when it is unchanged, the runbook file.
Markdown for tickets and wikis, one self-contained HTML file for a browser, or the report model as JSON.
Without --out the report goes to stdout. Secrets are redacted; the integrity of the record is checked
and stated in the report.`;
  static override examples = [
    '<%= config.bin %> report 20261130T030000Z-1a2b3c',
    '<%= config.bin %> report 20261130T030000Z-1a2b3c --format html --out incident.html',
    '<%= config.bin %> report 20261130T030000Z-1a2b3c --format json --run-dir /incidents/.irun/runs',
  ];
  static override args = { runId: Args.string({ description: 'The run id.', required: true }) };
  static override flags = {
    format: Flags.string({
      char: 'f',
      description: 'md, html or json (default: from the --out extension, else md).',
      options: REPORT_FORMATS,
    }),
    out: Flags.string({ char: 'o', description: 'Write the report to this file instead of stdout.' }),
    'run-dir': Flags.string({ description: 'Folder holding run records (default .irun/runs, or IRUN_RUN_DIR).' }),
    runbook: Flags.string({
      description: 'Read titles and instructions from this runbook file instead of the one the run recorded.',
    }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Report);
    const format = (flags.format ??
      (flags.out ? EXT[path.extname(flags.out).toLowerCase()] : undefined) ??
      'md') as ReportFormat;
    if (!REPORT_FORMATS.includes(format))
      throw new IrunError(Codes.USAGE, `--format must be one of ${REPORT_FORMATS.join(', ')}`, {
        exit: ExitCode.USAGE,
      });
    const { buildReport, renderReport, runDir } = await import('../../report/report.js');
    const dir = runDir(runsDir(flags['run-dir']), args.runId);
    const model = await buildReport(dir, { ...(flags.runbook ? { runbookFile: path.resolve(flags.runbook) } : {}) });
    const text = await renderReport(model, format);
    const c = this.color;
    if (flags.out) {
      const out = path.resolve(flags.out);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, text);
      process.stderr.write(
        `${c.green('✔')} ${format} report of run ${safe(model.run.id)} written to ${safe(path.relative(process.cwd(), out) || out)}\n`,
      );
    } else {
      process.stdout.write(text);
    }
    if (!model.integrity.ok)
      process.stderr.write(
        `${c.yellow('warning')} IRUN_JOURNAL_TAMPERED the run record is not intact: ${safe(model.integrity.summary)}\n`,
      );
    for (const n of model.notes) process.stderr.write(`${c.dim('note:')} ${safe(n)}\n`);
    return model;
  }
}
