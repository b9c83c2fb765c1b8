/**
 * The console reporter: a header, one line per step (status, ref, id, title, key outputs,
 * duration), part headings, a spinner on long steps when on a TTY, and a closing summary.
 * In simulation every part heading and the summary say SIMULATION.
 */
import type { RunbookDoc } from '../model.js';
import type { Listener, RunEvent, StepStartEvent } from '../run/events.js';
import { formatDuration } from '../util/duration.js';
import { terminalScreen, type Screen } from './screen.js';
import { palette, safe, summarize, truncate, type Palette } from './text.js';

export interface ConsoleOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  color: boolean;
  doc: RunbookDoc;
  /** Spinner on long steps (TTY only). */
  spinner?: boolean;
  verbose?: boolean;
  /** Where prompts take the terminal from the spinner (default: the process's terminal). */
  screen?: Screen;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function consoleReporter(options: ConsoleOptions): Listener & { close(): void } {
  const c: Palette = palette(options.color);
  const out = options.out;
  const partTitles = new Map(options.doc.parts.map((p) => [p.id, p.title ?? p.id]));
  const stepTitles = new Map(options.doc.parts.flatMap((p) => p.steps.map((s) => [s.id, s] as const)));
  let simulated = false;
  let dryRun = false;
  let startedAt = 0;
  let shownPart: string | undefined;
  let counts = { completed: 0, failed: 0, skipped: 0, planned: 0, waiting: 0 };
  let changes = 0;
  const current = new Map<string, StepStartEvent>();
  let spin: NodeJS.Timeout | undefined;
  let spinText = '';
  let frame = 0;
  const useSpinner = options.spinner !== false && !!out.isTTY;

  // While a prompt owns the terminal: no redraws, and lines wait in `held` until it gives it back.
  let paused = false;
  const held: string[] = [];

  const write = (line: string) => {
    if (paused) {
      held.push(line);
      return;
    }
    clearSpin();
    out.write(`${line}\n`);
  };
  const clearSpin = () => {
    if (spinText && useSpinner) out.write('\r\u001b[2K');
  };
  const draw = () => out.write(`\r\u001b[2K${c.cyan(FRAMES[frame])} ${spinText}`);
  const stopTimer = () => {
    if (spin) clearInterval(spin);
    spin = undefined;
  };
  const startTimer = () => {
    if (spin || paused) return;
    spin = setInterval(() => {
      frame = (frame + 1) % FRAMES.length;
      draw();
    }, 80);
    spin.unref();
  };
  const stopSpinner = () => {
    stopTimer();
    if (!paused) clearSpin();
    spinText = '';
  };
  const startSpinner = (text: string) => {
    if (!useSpinner) return;
    spinText = text;
    startTimer();
  };
  const detach = (options.screen ?? terminalScreen).attach({
    pause: () => {
      if (paused) return;
      stopTimer();
      clearSpin();
      paused = true;
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      for (const line of held.splice(0)) out.write(`${line}\n`);
      if (spinText && useSpinner) {
        draw();
        startTimer();
      }
    },
  });

  const tag = () => (simulated ? c.magenta(' [SIMULATION]') : dryRun ? c.yellow(' [DRY-RUN]') : '');

  const label = (step: string, ref?: string) => {
    const s = stepTitles.get(step);
    // Several refs ("1.1, 1.1.1, …") show as the first one and how many more.
    const refs = (ref ?? s?.ref ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const r = (refs.length > 1 ? `${refs[0]}+${refs.length - 1}` : (refs[0] ?? '')).padEnd(9);
    const title = s?.title ? ` ${c.dim(truncate(safe(s.title), 60))}` : '';
    return `${c.dim(r)} ${step}${title}`;
  };

  const listener = (e: RunEvent) => {
    switch (e.type) {
      case 'run.start':
        simulated = e.simulated;
        dryRun = e.dryRun;
        startedAt = Date.now();
        write(`${c.bold(`irun · ${safe(e.runbook.title)}`)} ${c.dim(`(${e.runbook.id})`)}${tag()}`);
        write(
          c.dim(
            `run ${e.runId} · actor ${safe(e.actor)}${e.dryRun ? ' · dry-run: no change will be made' : ''}${e.simulated ? ' · simulation: nothing is sent to AWS' : ''}`,
          ),
        );
        break;
      case 'run.resume':
        startedAt = Date.now();
        write(
          c.dim(
            `resumed by ${safe(e.actor)}${e.interrupted ? ` · step ${e.interrupted} was interrupted and runs again` : ''}`,
          ),
        );
        break;
      case 'part.start':
        write(`\n${c.bold(`── ${safe(partTitles.get(e.part) ?? e.part)}`)}${tag()}`);
        shownPart = e.part;
        break;
      case 'step.start':
        if (shownPart !== undefined && e.part !== shownPart) {
          // Back in a part after a call returned.
          write(`\n${c.bold(`── ${safe(partTitles.get(e.part) ?? e.part)}`)} ${c.dim('(continued)')}${tag()}`);
        }
        shownPart = e.part;
        current.set(e.step, e);
        if (e.kind === 'action' || e.kind === 'forEach')
          startSpinner(`${label(e.step, e.ref)} ${c.dim(e.action ?? '')}`);
        break;
      case 'progress': {
        const p = e.progress;
        const st = current.get(e.step);
        if (st)
          startSpinner(
            `${label(e.step, st.ref)} ${c.dim(safe([p.message, p.total ? `${p.done ?? 0}/${p.total}` : p.done !== undefined ? String(p.done) : ''].filter(Boolean).join(' ')))}`,
          );
        break;
      }
      case 'step.retry':
        write(
          `  ${c.yellow('↻')} ${label(e.step)} ${c.yellow(`attempt ${e.attempt} failed (${e.error.code}), retrying in ${formatDuration(e.delayMs)}`)}`,
        );
        break;
      case 'answer':
        break;
      case 'approval':
        write(
          `  ${e.approved ? c.green('✔') : c.yellow('✖')} ${c.dim(`${e.approved ? 'approved' : 'declined'} by ${safe(e.actor)} (${e.source})`)} ${safe(e.plan?.summary ?? '')}`,
        );
        break;
      case 'log':
        if (e.level !== 'debug' || options.verbose)
          write(`    ${e.level === 'warn' ? c.yellow('!') : c.dim('·')} ${safe(e.message)}`);
        break;
      case 'step.end': {
        stopSpinner();
        const st = current.get(e.step);
        current.delete(e.step);
        const dur = c.dim(formatDuration(e.durationMs));
        const lbl = label(e.step, st?.ref);
        switch (e.status) {
          case 'completed': {
            counts.completed++;
            if (e.plan && st?.effect === 'mutate') changes++;
            const key = summarize(e.outputs ?? e.output);
            write(`  ${c.green('✔')} ${lbl}${key ? `  ${c.cyan(key)}` : ''}  ${dur}`);
            break;
          }
          case 'skipped':
            counts.skipped++;
            write(`  ${c.dim('○')} ${c.dim(`${lbl}  skipped${e.reason ? ` (${safe(e.reason)})` : ''}`)}`);
            break;
          case 'planned':
            counts.planned++;
            write(`  ${c.yellow('◇')} ${lbl}  ${c.yellow(`would: ${safe(e.plan?.summary ?? '')}`)}  ${dur}`);
            break;
          case 'failed':
            counts.failed++;
            write(`  ${c.red('✖')} ${lbl}  ${c.red(`${e.error?.code ?? ''} ${safe(e.error?.message ?? '')}`)}  ${dur}`);
            break;
          default:
            write(`  ${c.dim('·')} ${lbl}  ${e.status}`);
        }
        break;
      }
      case 'run.waiting':
        stopSpinner();
        counts.waiting++;
        write(
          `  ${c.yellow('⏸')} ${label(e.step)}  ${c.yellow(`waiting for ${e.reason === 'answer' ? 'an answer' : 'approval'}: ${safe(e.message)}`)}`,
        );
        break;
      case 'run.end': {
        stopSpinner();
        const took = formatDuration(Date.now() - startedAt);
        const totals = `${counts.completed} done, ${counts.skipped} skipped${counts.planned ? `, ${counts.planned} planned` : ''}${counts.failed ? `, ${counts.failed} failed` : ''}${changes ? ` · ${changes} change(s)` : ''}`;
        const sim = simulated ? c.magenta('SIMULATION · ') : dryRun ? c.yellow('DRY-RUN · ') : '';
        if (e.status === 'completed')
          write(
            `\n${sim}${c.green(c.bold(`✔ run ${e.outcome && e.outcome !== 'completed' ? e.outcome : 'completed'}`))} in ${took} · ${totals}${e.message ? `\n  ${safe(e.message)}` : ''}`,
          );
        else if (e.status === 'aborted')
          write(
            `\n${sim}${c.yellow(c.bold('■ run aborted'))} in ${took} · ${totals}${e.message ? `\n  ${safe(e.message)}` : ''}`,
          );
        else
          write(
            `\n${sim}${c.red(c.bold('✖ run failed'))} in ${took} · ${totals}\n  ${c.red(`${e.error?.code ?? ''} ${safe(e.message ?? e.error?.message ?? '')}`)}`,
          );
        counts = { completed: 0, failed: 0, skipped: 0, planned: 0, waiting: 0 };
        break;
      }
      default:
        break;
    }
  };
  const close = () => {
    stopSpinner();
    detach();
    for (const line of held.splice(0)) out.write(`${line}\n`);
  };
  return Object.assign(listener, { close });
}

/** JSON lines: one event per line on the stream (for --json). */
export function jsonLinesReporter(out: NodeJS.WritableStream): Listener {
  let simulation = false;
  return (e: RunEvent) => {
    if (e.type === 'run.start') simulation = e.simulated;
    // In a simulation every event says so, so no consumer can mistake it for a real incident.
    out.write(`${JSON.stringify(simulation ? { ...e, simulation: true } : e)}\n`);
  };
}
