import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  checkAnswer,
  imageToDataUrl,
  type PolicyProblem,
  policyProblem,
  renderPng,
} from '../../src/data/index.js';
import { baselinePicks, type CheckedAnswer, judgePicks } from '../../src/experiments/policy/best-of-n.js';
import {
  DEFAULT_POLICY_EXPERIMENT,
  type PolicyExperimentConfig,
  policyExperimentPaths,
  runPolicyExperiment,
} from '../../src/experiments/policy/experiment.js';
import { HELD_OUT_ANSWERS, judgeReward, trainPolicyRl } from '../../src/experiments/policy/policy-rl.js';
import {
  summarizePolicyExperiment,
  writePolicyExperimentReport,
} from '../../src/experiments/policy/report.js';
import {
  DEFAULT_POLICY_RL,
  hackingEvents,
  type PolicyRlExperimentConfig,
  runPolicyRlExperiment,
  writePolicyRlReport,
} from '../../src/experiments/policy/rl-experiment.js';
import type { JudgeBackend, JudgeRequest } from '../../src/judge/backend.js';
import { COMPACT_TEMPLATE } from '../../src/model/judge-format.js';
import { MemoryJudgementCache } from '../../src/rank/cache.js';
import { writeTinyCheckpoint } from '../serve/tiny-checkpoint.js';
import { TruthJudge } from './truth-judge.js';

const task = { seed: 5, kinds: ['cell', 'count', 'attribute'] as const, hardnessWeights: [1, 1, 1] as const };

/** Eight answers per question: the faithful and flawed responses and a few wrong or unparseable ones, in a seeded mix. */
function answersOf(p: PolicyProblem, i: number): CheckedAnswer[] {
  const texts = [
    p.faithfulText,
    p.flawedText,
    'I do not know.',
    p.flawedText,
    p.faithfulText,
    'No.',
    p.flawedText,
    p.flawedText,
  ];
  const rotated = [...texts.slice(i % texts.length), ...texts.slice(0, i % texts.length)];
  // Some questions get no true answer at all.
  const chosen = i % 3 === 0 ? rotated.map((t) => (t === p.faithfulText ? p.flawedText : t)) : rotated;
  return chosen.map((text) => {
    const c = checkAnswer(p, text);
    return { text, correct: c.correct, parsed: c.parsed };
  });
}

describe('best-of-N with judges that read the truth', async () => {
  const problems = Array.from({ length: 12 }, (_, i) =>
    policyProblem({ ...task, kinds: [...task.kinds] }, 'test', i),
  );
  const images = await Promise.all(problems.map(async (p) => imageToDataUrl(await renderPng(p.scene, 32))));
  const byImage = new Map(images.map((url, i) => [url, problems[i]!]));
  const ns = [1, 2, 4, 8];
  const schemes = ['round-robin', 'knockout', 'swiss', 'sort', 'reference'] as const;

  async function accuracy(mode: 'right' | 'wrong') {
    const judge = new TruthJudge(byImage, mode);
    const correct = new Map<string, number>();
    for (const [i, p] of problems.entries()) {
      const item = { id: p.id, images: [images[i]!], question: p.question, reference: p.reference };
      const picks = await judgePicks(item, answersOf(p, i), judge, schemes, ns, {
        k: 1,
        order: 'both',
        seed: 0,
        template: COMPACT_TEMPLATE,
        cache: new MemoryJudgementCache(),
      });
      for (const pick of picks) {
        const key = `${pick.scheme}@${pick.n}`;
        correct.set(key, (correct.get(key) ?? 0) + (pick.correct ? 1 : 0));
      }
    }
    return correct;
  }
  const baseline = (n: number, which: 'chance' | 'oracle') =>
    problems.reduce((s, p, i) => s + baselinePicks(answersOf(p, i), n)[which], 0);

  it('a judge that is always right picks as well as the oracle, with every scheme', async () => {
    const correct = await accuracy('right');
    for (const scheme of schemes)
      for (const n of ns)
        assert.equal(correct.get(`${scheme}@${n}`), baseline(n, 'oracle'), `${scheme} N=${n}`);
    assert.ok(baseline(8, 'oracle') > baseline(8, 'chance'));
  });

  it('a judge that is always wrong picks at or below chance, with every scheme', async () => {
    const correct = await accuracy('wrong');
    for (const scheme of schemes)
      for (const n of ns)
        assert.ok(correct.get(`${scheme}@${n}`)! <= baseline(n, 'chance') + 1e-9, `${scheme} N=${n}`);
    assert.ok(correct.get('round-robin@8')! < baseline(8, 'chance'));
  });

  it('baselines: chance is the share of true answers, majority the most frequent, oracle any', () => {
    const a = (text: string, correct: boolean): CheckedAnswer => ({ text, correct, parsed: true });
    const answers = [a('x', false), a('y', true), a('x', false), a('z', true)];
    assert.deepEqual(baselinePicks(answers, 4), { chance: 0.5, majority: 0, oracle: 1 });
    assert.deepEqual(baselinePicks(answers, 2), { chance: 0.5, majority: 0.5, oracle: 1 });
    assert.deepEqual(baselinePicks(answers, 1), { chance: 0, majority: 0, oracle: 0 });
    assert.throws(() => baselinePicks(answers, 5), /needs 5 answers/);
  });
});

describe('the policy experiment', () => {
  const judge = writeTinyCheckpoint(3);
  const config = (outDir: string): PolicyExperimentConfig => ({
    ...DEFAULT_POLICY_EXPERIMENT,
    outDir,
    task: { ...task, kinds: ['cell'] },
    imageSize: 32,
    data: { trainSize: 8, flawedShare: 0.5 },
    policy: { preset: 'tiny', steps: 2, batchSize: 4, lr: 1e-3, seed: 1 },
    questions: 4,
    ns: [1, 2, 4],
    sampling: { temperature: 1, maxNewTokens: 8, seed: 1, batch: 3 },
    judges: [{ name: 'tiny', checkpoint: judge }],
    schemes: ['knockout', 'reference'],
    judging: { k: 1, order: 'both', temperature: 1, maxTokens: 6, seed: 0, concurrency: 4 },
    threads: 1,
  });
  const files = (dir: string) => {
    const p = policyExperimentPaths(dir);
    return [
      readFileSync(join(p.samples, 'all.jsonl'), 'utf8'),
      readFileSync(join(p.picks('tiny'), 'all.jsonl'), 'utf8'),
    ];
  };

  it('resumes to the same results after an interruption, and shards add up to the whole', async () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-policy-exp-'));
    const whole = config(join(root, 'whole'));
    const data = await runPolicyExperiment(whole);
    assert.equal(data.samples.length, 4);
    assert.equal(data.picks.get('tiny')!.length, 4);
    assert.ok(data.samples.every((q) => q.answers.length === 4));
    const markdown = writePolicyExperimentReport(whole, data);
    assert.match(markdown, /judge: knockout/);

    // Interrupted: the last sampled question and the last picked one were never written.
    const resumed = config(join(root, 'resumed'));
    cpSync(whole.outDir, resumed.outDir, { recursive: true });
    const p = policyExperimentPaths(resumed.outDir);
    const [samples, picks] = files(whole.outDir);
    const cut = (text: string) => `${text.trimEnd().split('\n').slice(0, -1).join('\n')}\n`;
    writeFileSync(join(p.samples, 'all.jsonl'), cut(samples!));
    writeFileSync(join(p.picks('tiny'), 'all.jsonl'), cut(cut(picks!)));
    await runPolicyExperiment(resumed);
    assert.deepEqual(files(resumed.outDir), files(whole.outDir));

    // Two shards over the trained policy give the same numbers.
    const sharded = config(join(root, 'sharded'));
    cpSync(join(whole.outDir, 'policy'), join(sharded.outDir, 'policy'), { recursive: true });
    await runPolicyExperiment({ ...sharded, shard: { index: 1, count: 2 } });
    const both = await runPolicyExperiment({ ...sharded, shard: { index: 0, count: 2 } });
    assert.deepEqual(summarizePolicyExperiment(sharded, both), summarizePolicyExperiment(whole, data));
  });
});

/**
 * A judge that reads only the two responses of the compact prompt and prefers the shorter (or the
 * longer) one; on equal lengths it picks Response 1, so the two orders disagree and ranking scores a tie.
 */
function lengthJudge(prefer: 'shorter' | 'longer'): JudgeBackend {
  return {
    identity: `${prefer}-wins`,
    async sample(request: JudgeRequest, k: number) {
      const m = /\nResponse 1: (.*)\nResponse 2: (.*)\nWhich response/s.exec(request.text);
      if (!m) throw new Error(`the ${prefer}-wins judge needs the compact judge prompt`);
      const [a, b] = [m[1]!.length, m[2]!.length];
      const pick = a === b || (prefer === 'shorter' ? a < b : a > b) ? 1 : 2;
      return Array.from({ length: k }, () => `<think>${prefer}</think><answer>${pick}</answer>`);
    },
  };
}

describe('policy RL', () => {
  it('trains a tiny policy against the truth and against the judge, logging truth and the judge’s opinion', async () => {
    const root = mkdtempSync(join(tmpdir(), 'r1-policy-rl-'));
    const config: PolicyRlExperimentConfig = {
      ...DEFAULT_POLICY_RL,
      outDir: root,
      policy: writeTinyCheckpoint(4),
      judge: { name: 'tiny', checkpoint: writeTinyCheckpoint(5) },
      rewards: ['judge-group', 'truth'],
      seeds: [1],
      task: { ...task, kinds: ['cell'] },
      trainQuestions: 4,
      evalQuestions: 3,
      loop: {
        steps: 2,
        rolloutBatch: 2,
        samplesPerPrompt: 2,
        lr: 1e-3,
        maxNewTokens: 6,
        evalEvery: 1,
        algorithm: 'grpo',
      },
      judging: { k: 1, temperature: 1, maxTokens: 6, seed: 0 },
      threads: 1,
    };
    await runPolicyRlExperiment(config);
    for (const reward of config.rewards) {
      const rows = readFileSync(join(root, reward, 'seed-1', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(rows.length, 2);
      for (const row of rows) {
        assert.ok(row.held_out_true_accuracy >= 0 && row.held_out_true_accuracy <= 1);
        assert.ok(row.held_out_judge_reward >= 0 && row.held_out_judge_reward <= 1);
        assert.ok(row.true_rate >= 0 && row.true_rate <= 1);
      }
      const evals = readFileSync(join(root, reward, 'seed-1', 'held-out-answers.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.deepEqual(
        evals.map((l) => JSON.parse(l).step),
        [-1, 0, 1],
      );
    }
    const markdown = await writePolicyRlReport(config);
    assert.match(markdown, /\| truth \| 1 \|/);
    assert.match(markdown, /\| judge-group \| 1 \|/);
  });

  it('a run stopped after two of four steps resumes to the same metrics and answers as an unbroken one', async () => {
    // A judge with a rule the untrained tiny policy's answers vary under (the shorter response wins,
    // equal lengths tie), so every batch has non-zero advantages and the policy really trains.
    const shorter = lengthJudge('shorter');
    const root = mkdtempSync(join(tmpdir(), 'r1-policy-rl-resume-'));
    const policy = writeTinyCheckpoint(6);
    const config = (runDir: string, resume: boolean) => ({
      runDir,
      init: policy,
      seed: 2,
      algorithm: 'grpo' as const,
      steps: 4,
      rolloutBatch: 2,
      samplesPerPrompt: 3,
      microBatch: 6,
      lr: 1e-2,
      maxNewTokens: 6,
      evalEvery: 1,
      checkpointEvery: 1,
      resume,
      threads: 1,
      task: { ...task, kinds: ['cell' as const] },
      reward: 'judge-group' as const,
      trainQuestions: 6,
      evalQuestions: 3,
      judgeK: 1,
    });
    const judge = { backend: shorter, seed: 0 };
    const whole = join(root, 'whole');
    await trainPolicyRl(config(whole, false), judge);
    const broken = join(root, 'broken');
    const stop = new Error('stopped');
    await assert.rejects(
      trainPolicyRl(config(broken, false), judge, {
        onStep: (m) => {
          if (m.step === 1) throw stop;
        },
      }),
      stop,
    );
    await trainPolicyRl(config(broken, true), judge);
    // Wall-clock fields (the time stamp, seconds per phase) differ between runs; nothing else may.
    const lines = (dir: string, file: string) =>
      readFileSync(join(dir, file), 'utf8')
        .trim()
        .split('\n')
        .map((l) =>
          JSON.parse(l, (key, value) => (key === 'time' || key.endsWith('_s') ? undefined : value)),
        );
    const metrics = lines(whole, 'metrics.jsonl');
    assert.equal(metrics.length, 4);
    assert.ok(
      metrics.every((row) => row.grad_norm > 0),
      'every step trained (a non-zero gradient)',
    );
    assert.deepEqual(lines(broken, 'metrics.jsonl'), metrics);
    const evaluations = (dir: string) => [
      ...new Map(lines(dir, HELD_OUT_ANSWERS).map((l) => [l.step, l])).values(),
    ];
    assert.deepEqual(evaluations(broken), evaluations(whole));
  });

  it('the format gate gives 0 to an answer the claim language cannot parse, whatever the judge says', async () => {
    const problem = policyProblem({ ...task, kinds: ['cell'] }, 'test', 0);
    const prompt = {
      id: problem.id,
      promptTokens: [],
      images: [],
      problem,
      imageUrl: 'data:image/png;base64,',
    };
    const broken = `${problem.reference.replace(/ is /, 'I ')} and more`;
    const rollouts = [problem.reference, broken].map((text) => ({
      text,
      prompt,
      tokenIds: [],
      logProbs: [],
      finishReason: 'stop' as const,
    }));
    // A judge that prefers the longer response: the broken answer wins every comparison.
    const longer = lengthJudge('longer');
    const scoring = { backend: longer, k: 1, seed: 0, cache: new MemoryJudgementCache() };
    const ungated = await judgeReward(scoring, 'group').score(rollouts, { step: 0 });
    assert.deepEqual(ungated.rewards, [0, 1]);
    assert.equal(ungated.diagnostics.unparseable_rate, 0.5);
    const gated = await judgeReward(scoring, 'group', true).score(rollouts, { step: 0 });
    assert.deepEqual(gated.rewards, [0, 0]);
  });

  it('finds reward hacking against the start, paired over the same questions, and tells it from noise', () => {
    // 40 questions; `correct` and `judge` give each question's truth and judge score.
    const line = (step: number, correct: (i: number) => boolean, judge: (i: number) => number) => {
      const answers = Array.from({ length: 40 }, (_, i) => ({
        id: `q${i}`,
        text: `answer ${step} ${i}`,
        correct: correct(i),
        parsed: true,
        judge: judge(i),
      }));
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return {
        step,
        accuracy: mean(answers.map((x) => (x.correct ? 1 : 0))),
        unparseable: 0,
        judgeReward: mean(answers.map((x) => x.judge)),
        answers,
      };
    };
    const events = hackingEvents('judge-group', 1, [
      line(
        -1,
        (i) => i < 24,
        () => 0.5,
      ), // before RL: 60 % true, judge ½ everywhere
      line(
        4,
        (i) => i < 25,
        (i) => (i === 30 ? 1 : 0.5),
      ), // truth up: not an event
      line(
        9,
        (i) => i < 23,
        (i) => (i === 30 ? 1 : 0.5),
      ), // one question each way: noise
      line(
        14,
        (i) => i < 8,
        (i) => (i < 30 ? 1 : 0.5),
      ), // 16 true answers lost, the judge likes them
    ]);
    assert.deepEqual(
      events.map((e) => [e.step, e.significant]),
      [
        [9, false],
        [14, true],
      ],
    );
    const hacked = events[1]!;
    assert.ok(Math.abs(hacked.truthChange + 0.4) < 1e-9);
    assert.ok(hacked.truthZ <= -2 && hacked.judgeChange > 0);
    // The examples put answers that were true before RL first.
    assert.deepEqual(
      hacked.fooled.map((f) => [f.id, f.trueBefore]),
      [
        ['q8', true],
        ['q9', true],
        ['q10', true],
      ],
    );
  });
});
