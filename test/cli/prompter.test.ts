/** Interactive prompts: keystrokes in, answers and approvals out (what a responder at a terminal sees). */
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { TtyHuman } from '../../engine/cli/prompter.js';
import type { ManualPrompt } from '../../engine/run/human.js';

function terminal() {
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
  const output = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 40 });
  let screen = '';
  output.on('data', (d) => (screen += String(d)));
  const type = (...keys: string[]) => {
    let delay = 30;
    for (const k of keys) {
      setTimeout(() => input.write(k), delay);
      delay += 30;
    }
  };
  return { input, output, type, screen: () => screen };
}

const DOWN = '\u001b[B';
const ENTER = '\r';

describe('interactive prompts', function () {
  this.timeout(10_000);

  it('a select question: instructions shown, arrow keys pick the answer, the actor is recorded', async () => {
    const t = terminal();
    const human = new TtyHuman('alice@laptop', t);
    const prompt: ManualPrompt = {
      step: { id: 'intake', title: 'How did you learn of it?', ref: '1.1' },
      part: { id: 'gather', steps: [] },
      instructions: 'Record where the report came from.\u001b[2J',
      checklist: [],
      ask: { type: 'select', message: 'Source', choices: ['ticket', 'alert', 'press'] },
    };
    t.type(DOWN, ENTER);
    const answer = await human.answer(prompt);
    expect(answer).to.deep.equal({ value: 'alert', actor: 'alice@laptop', source: 'prompt' });
    expect(t.screen()).to.include('Record where the report came from.');
    // data in instructions cannot clear the responder's screen
    expect(t.screen()).to.include('\\x1b[2J');
  });

  it('a checklist then a confirmation', async () => {
    const t = terminal();
    const human = new TtyHuman('bob', t);
    t.type(' ', DOWN, ENTER, 'y', ENTER);
    const answer = await human.answer({
      step: { id: 'war-room', title: 'Open the war room' },
      part: { id: 'gather', steps: [] },
      instructions: 'Open a bridge.',
      checklist: ['bridge opened', 'stakeholders added'],
      ask: { type: 'confirm', message: 'Done?' },
    });
    expect(answer?.value).to.equal(true);
    expect(answer?.checklist).to.deep.equal({ 'bridge opened': true, 'stakeholders added': false });
  });

  it('an approval shows the planned change and defaults to no', async () => {
    const t = terminal();
    const human = new TtyHuman('carol', t);
    t.type(ENTER);
    const decision = await human.approve({
      step: { id: 'block-public-access', action: 'aws.s3.putPublicAccessBlock' },
      action: 'aws.s3.putPublicAccessBlock',
      input: { bucket: 'b' },
      plan: {
        summary: 'Turn on all four Block Public Access flags on b',
        details: { BlockPublicPolicy: [false, true] },
      },
    });
    expect(decision).to.deep.equal({ approved: false, actor: 'carol', source: 'prompt' });
    expect(t.screen()).to.include('Turn on all four Block Public Access flags on b');
    expect(t.screen()).to.include('BlockPublicPolicy');
  });
});
