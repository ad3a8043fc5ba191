// Generate the sample hw2 submissions (s001…s040) and their manifest from the
// released notebook: most students correct, some partly wrong (the mistakes
// students make when they first train a net), one that throws, two late, one
// missing; every notebook carries a written answer for Q6 (graded by hand).
// grading/test/homework-hw2.test.ts asserts their scores.
// Run after `npm run build`: node data/hw2/make-samples.mjs
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { root, sampleKit, writeSamples } from '../samples.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(root, 'notebooks/hw2-training/hw2-training.source.ipynb');
const { submission, cell } = sampleKit(source, 'hw2');
const replace = (from, to) => (code) => code.replace(from, to);

const variants = {
  // Log-sum-exp without subtracting the maximum: e^800 overflows.
  s006: { 'q1-solution': replace('const logSum = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));', 'const logSum = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));') },
  // W2 updated before the hidden error derivatives are computed (they then use the new W2).
  s008: {
    'q2-solution': (c) => {
      const line = c.split('\n').find((l) => l.includes('const dX = '));
      return c.replace(line + '\n', '').replace('  net.W1.forEach(', line + '\n  net.W1.forEach(');
    },
  },
  // The training loss recorded as the running mean of the batch losses during the epoch.
  s012: {
    'q3-solution': (c) => c
      .replace('const order = shuffledOrder(data.X.length, options.seed + epoch);', 'const order = shuffledOrder(data.X.length, options.seed + epoch);\n    const batchLosses: number[] = [];')
      .replace('trainStep(net, batch.map((i) => data.X[i]), batch.map((i) => data.T[i]), options.learningRate);', 'batchLosses.push(trainStep(net, batch.map((i) => data.X[i]), batch.map((i) => data.T[i]), options.learningRate));')
      .replace('trainLoss: tr.loss,', 'trainLoss: batchLosses.reduce((a, b) => a + b, 0) / batchLosses.length,'),
  },
  // A learning rate far too small for 8 epochs: the digits are not learnt.
  s014: { 'q4-solution': replace('learningRate: 0.1,', 'learningRate: 0.001,') },
  // Early stopping that returns the position in the history, not the epoch.
  s016: { 'q5-solution': replace('return best.epoch;', 'return history.indexOf(best);') },
  // Throws: the training loop was never finished (Q4 is still graded, with the reference loop).
  s018: { 'q3-solution': replace('const history: EpochRecord[] = [];', "throw new Error('train: not finished yet');\n  const history: EpochRecord[] = [];") },
};

const answers = [
  'The validation loss is lowest at epoch 8 (0.19) and the training loss is still falling (0.12), so the small gap means the net fits the training digits slightly better than new ones. With 64 hidden units I expect the training loss to fall faster and the gap to grow; I tried it and the gap grew from 0.07 to 0.11.',
  'Best epoch 7. Training keeps going down, validation flattens: a bit of overfitting. Fewer epochs would stop there.',
  'I think the curves look fine.',
];
const withAnswer = (n) => (nb) => {
  cell('q6-answer')(nb).source = answers[n % answers.length];
};

const rows = [];
for (let n = 1; n <= 40; n++) {
  const id = `s${String(n).padStart(3, '0')}`;
  if (id === 's010') {
    rows.push({ id, notebook: null }); // no submission
    continue;
  }
  // Due 2027-05-14 23:59 America/Los_Angeles (PDT, UTC−7).
  let at;
  if (id === 's002') at = '2027-05-16T07:11:00-07:00'; // 1.3 days late: 20 %
  else if (id === 's019') at = '2027-05-17T12:00:00-07:00'; // 2.5 days late: 30 %
  else at = `2027-05-${n % 3 === 0 ? 12 : 14}T${String(9 + (n % 14)).padStart(2, '0')}:${String((n * 11) % 60).padStart(2, '0')}:00-07:00`;
  rows.push({ id, notebook: submission(variants[id], withAnswer(n)), at });
}
writeSamples(here, 'hw2', rows);
