import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../../src/algo/random.js';
import {
  checkAnswer,
  type Hardness,
  makeProblem,
  type Problem,
  policyProblem,
  QUESTION_KINDS,
  type QuestionKind,
  type Scene,
  validatePolicyTask,
} from '../../src/data/index.js';

// Hand-written problems: the scene and the question's faithful claims (what is asked) are all the
// checker reads.
const scene: Scene = {
  objects: [
    { shape: 'circle', color: 'red', size: 'large', cell: 0 },
    { shape: 'square', color: 'blue', size: 'small', cell: 4 },
    { shape: 'circle', color: 'green', size: 'small', cell: 8 },
  ],
};
type Asked = Pick<Problem, 'scene' | 'kind' | 'faithful'>;
const ask = (kind: QuestionKind, faithful: Problem['faithful']): Asked => ({ scene, kind, faithful });

const countCircles = ask('count', [{ type: 'count', of: { shape: 'circle' }, n: 2 }]);
const isRedSquare = ask('existence', [{ type: 'exists', color: 'red', shape: 'square', present: false }]);
const squareColor = ask('attribute', [{ type: 'attribute', ref: { shape: 'square' }, color: 'blue' }]);
const redShape = ask('attribute', [{ type: 'attribute', ref: { color: 'red' }, shape: 'circle' }]);
const relation = ask('relation', [
  {
    type: 'relation',
    a: { color: 'red', shape: 'circle' },
    relation: 'left of',
    b: { color: 'blue', shape: 'square' },
  },
]);
const topLeft = ask('cell', [{ type: 'object', color: 'red', shape: 'circle', size: 'large', cell: 0 }]);
const brief = ask(
  'short-description',
  scene.objects.map((o) => ({ type: 'object' as const, color: o.color, shape: o.shape, size: o.size })),
);
const detailed = ask('long-description', [
  { type: 'count', of: {}, n: 3 },
  ...scene.objects.map((o) => ({
    type: 'object' as const,
    color: o.color,
    shape: o.shape,
    size: o.size,
    cell: o.cell,
  })),
]);

const verdict = (problem: Asked, text: string) => {
  const c = checkAnswer(problem, text);
  return c.correct ? 'correct' : c.parsed ? 'wrong' : 'unparseable';
};

describe('checkAnswer on hand-written answers', () => {
  const cases: [string, Asked, string, 'correct' | 'wrong' | 'unparseable'][] = [
    ['count, plain', countCircles, 'There are 2 circles.', 'correct'],
    ['count, seen, no full stop, odd spacing', countCircles, '  i see 2   circles', 'correct'],
    ['count, wrong number', countCircles, 'There are 3 circles.', 'wrong'],
    ['count of other objects (true, but not asked)', countCircles, 'There are 3 objects.', 'wrong'],
    ['count, number word', countCircles, 'There are two circles.', 'unparseable'],
    ['count, agreement broken', countCircles, 'There is 2 circles.', 'unparseable'],
    ['count, trailing text', countCircles, 'There are 2 circles. Maybe.', 'unparseable'],
    ['existence, no', isRedSquare, 'No, there is no red square.', 'correct'],
    ['existence, seen', isRedSquare, 'No, I see no red square.', 'correct'],
    ['existence, false yes', isRedSquare, 'Yes, there is a red square.', 'wrong'],
    ['existence, word contradicts clause', isRedSquare, 'Yes, there is no red square.', 'unparseable'],
    ['existence, another object', isRedSquare, 'No, there is no red triangle.', 'wrong'],
    ['existence, bare no', isRedSquare, 'No.', 'unparseable'],
    ['attribute colour', squareColor, 'The square is blue.', 'correct'],
    ['attribute colour, "it"', squareColor, 'It is blue.', 'correct'],
    ['attribute, wrong colour', squareColor, 'It is red.', 'wrong'],
    ['attribute, other property (true)', squareColor, 'The square is small.', 'wrong'],
    ['attribute shape', redShape, 'The red object is a circle.', 'correct'],
    ['attribute shape, "it"', redShape, 'It is a circle.', 'correct'],
    ['attribute shape, wrong', redShape, 'It is a square.', 'wrong'],
    ['relation', relation, 'The red circle is left of the blue square.', 'correct'],
    ['relation, another true relation', relation, 'It is above the blue square.', 'correct'],
    ['relation, opposite', relation, 'It is right of the blue square.', 'wrong'],
    ['relation, other pair', relation, 'The blue square is right of the red circle.', 'wrong'],
    ['relation, paraphrase', relation, 'The red circle is to the left of the blue square.', 'unparseable'],
    ['cell, plain', topLeft, 'A large red circle is at the top left.', 'correct'],
    ['cell, seen', topLeft, 'I see a large red circle at the top left.', 'correct'],
    ['cell, wrong size', topLeft, 'A small red circle is at the top left.', 'wrong'],
    ['cell, a true object at another cell', topLeft, 'A small blue square is in the center.', 'wrong'],
    ['cell, no size', topLeft, 'A red circle is at the top left.', 'unparseable'],
    [
      'short description, any order',
      brief,
      'A small green circle, a large red circle and a small blue square.',
      'correct',
    ],
    [
      'short description, seen',
      brief,
      'I see a large red circle, a small blue square and a small green circle.',
      'correct',
    ],
    ['short description, one left out', brief, 'A large red circle and a small blue square.', 'wrong'],
    [
      'short description, partly wrong',
      brief,
      'A large red circle, a small blue triangle and a small green circle.',
      'wrong',
    ],
    [
      'short description, one named twice',
      brief,
      'A large red circle, a large red circle and a small blue square.',
      'wrong',
    ],
    [
      'short description, Oxford comma',
      brief,
      'A large red circle, a small blue square, and a small green circle.',
      'unparseable',
    ],
    [
      'long description',
      detailed,
      'There are 3 objects. A large red circle is at the top left. A small blue square is in the center. A small green circle is at the bottom right.',
      'correct',
    ],
    [
      'long description, seen head, another order',
      detailed,
      'I see 3 objects. A small green circle is at the bottom right. A large red circle is at the top left. A small blue square is in the center.',
      'correct',
    ],
    [
      'long description, one misplaced',
      detailed,
      'There are 3 objects. A large red circle is at the top. A small blue square is in the center. A small green circle is at the bottom right.',
      'wrong',
    ],
    [
      'long description, wrong count',
      detailed,
      'There are 2 objects. A large red circle is at the top left. A small blue square is in the center. A small green circle is at the bottom right.',
      'wrong',
    ],
    ['long description, no count', detailed, 'A large red circle is at the top left.', 'unparseable'],
    ['empty', countCircles, '', 'unparseable'],
  ];
  for (const [name, problem, text, expected] of cases)
    it(name, () => assert.equal(verdict(problem, text), expected, text));

  it('says why an answer is wrong', () => {
    assert.equal(checkAnswer(countCircles, 'There are 3 objects.').reason, 'counts other objects than asked');
    assert.equal(checkAnswer(countCircles, 'There are 3 circles.').falseClaims, 1);
    assert.equal(checkAnswer(countCircles, 'There are 3 circles.').answers, true);
    assert.equal(checkAnswer(countCircles, 'nonsense').reason, 'unparseable');
  });
});

describe('checkAnswer on the generator', () => {
  it('every faithful response is correct and every flawed one wrong (all kinds, hardnesses, seeds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom(...QUESTION_KINDS),
        fc.constantFrom<Hardness>(0, 1, 2),
        (seed, kind, hardness) => {
          const p = makeProblem(new Rng(seed), kind, hardness);
          const faithful = checkAnswer(p, p.faithfulText);
          assert.ok(faithful.correct, `${p.faithfulText} (${faithful.reason})`);
          const flawed = checkAnswer(p, p.flawedText);
          assert.ok(flawed.parsed && !flawed.correct, p.flawedText);
        },
      ),
      { numRuns: 700 },
    );
  });

  it('policy questions are deterministic, use the configured kinds, and their reference is correct', () => {
    const config = {
      seed: 3,
      kinds: ['count', 'cell'] as QuestionKind[],
      hardnessWeights: [1, 1, 1] as const,
    };
    for (let i = 0; i < 40; i++) {
      const p = policyProblem(config, 'test', i);
      assert.deepEqual(p, policyProblem(config, 'test', i));
      assert.ok(config.kinds.includes(p.kind));
      assert.ok(checkAnswer(p, p.reference).correct);
    }
    assert.notDeepEqual(policyProblem(config, 'train', 0).scene, policyProblem(config, 'test', 0).scene);
    assert.throws(() => validatePolicyTask({ ...config, kinds: [] }), /kinds/);
  });
});
