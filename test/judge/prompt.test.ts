import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTemplate, R1_REWARD_PROMPT_TEMPLATE, renderPrompt } from '../../src/judge/prompt.js';

const shared = new URL('../../../shared/data/r1-reward-prompt.json', import.meta.url).pathname;
/**
 * SHA-256 of the released template's UTF-8 bytes, the `template` field of R1-Reward's
 * r1-reward-prompt.json (spec §2), computed from that file with
 * `node -e "const {template} = JSON.parse(fs.readFileSync(process.argv[1], 'utf8')); console.log(crypto.createHash('sha256').update(template).digest('hex'))" FILE`.
 */
const RELEASED_TEMPLATE_SHA256 = '5593ecd7d4d7ec962076e313f8b061a91e39e1b68f6517afb4278a3bbdc89245';

describe('the judge prompt (spec §2)', () => {
  it('embeds the released template byte for byte (pinned by its SHA-256)', () => {
    const bytes = Buffer.from(R1_REWARD_PROMPT_TEMPLATE, 'utf8');
    assert.equal(createHash('sha256').update(bytes).digest('hex'), RELEASED_TEMPLATE_SHA256);
    // Where this clone has the released file as well, compare with it directly.
    if (existsSync(shared)) {
      const { template } = JSON.parse(readFileSync(shared, 'utf8')) as { template: string };
      assert.ok(bytes.equals(Buffer.from(template, 'utf8')));
    }
  });

  it('has the shape the spec shows: 717 characters, trailing double spaces, the output format last', () => {
    assert.equal(R1_REWARD_PROMPT_TEMPLATE.length, 717);
    assert.match(
      R1_REWARD_PROMPT_TEMPLATE,
      /###### \*\*Input:\*\* {2}\n###### \[Question\]:\n\{question\} {2}\n/,
    );
    assert.ok(
      R1_REWARD_PROMPT_TEMPLATE.endsWith(
        '<think>Your detailed comparative analysis goes here</think><answer>1/2</answer>',
      ),
    );
  });

  it('substitutes in one pass: placeholders and $-patterns inside responses stay literal', () => {
    const text = renderPrompt(R1_REWARD_PROMPT_TEMPLATE, {
      question: 'What is $& here?',
      answer1: 'It says {answer2}',
      answer2: "$' costs $1",
    });
    assert.match(text, /\[Question\]:\nWhat is \$& here\? {2}\n/);
    assert.match(text, /\[Response 1\]:\nIt says \{answer2\} {2}\n/);
    assert.match(text, /\[Response 2\]:\n\$' costs \$1 {2}\n/);
    assert.doesNotMatch(text, /\{question\}|\{answer1\}/);
  });

  it('loads a custom template from text or JSON and names a missing placeholder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'r1-prompt-'));
    try {
      writeFileSync(join(dir, 't.txt'), 'Q {question}\n1 {answer1}\n2 {answer2}\n');
      assert.equal(loadTemplate(join(dir, 't.txt')), 'Q {question}\n1 {answer1}\n2 {answer2}\n');
      writeFileSync(join(dir, 't.json'), JSON.stringify({ template: '{question}|{answer1}|{answer2}' }));
      assert.equal(loadTemplate(join(dir, 't.json')), '{question}|{answer1}|{answer2}');
      writeFileSync(join(dir, 'bad.txt'), 'Q {question} 1 {answer1}');
      assert.throws(() => loadTemplate(join(dir, 'bad.txt')), /bad\.txt lacks \{answer2\}/);
      assert.throws(() => loadTemplate(join(dir, 'none.txt')), /cannot read the prompt template/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
