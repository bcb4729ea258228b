// The moderation policy: given rule events, when a rule command, then events or an error code; and the
// verdict of the compiled policy on a message, per rule kind, scope and strength. No I/O.
import { describe, expect, it } from 'vitest';
import type { ModerationPolicyEvent, ModerationRule } from '../../src/domain/events.ts';
import {
  decideAddModerationRule,
  decideChangeModerationRule,
  decideRemoveModerationRule,
  moderationPolicyAggregate,
} from '../../src/domain/moderationPolicy.ts';
import { compilePolicy, judgeMessage } from '../../src/domain/moderationRules.ts';
import { as, expectThen, fold } from './given.ts';

const RULE = '0190f000-0000-7000-8000-0000000000c1';
const OTHER_RULE = '0190f000-0000-7000-8000-0000000000c2';
const moderator = as('mod', ['moderator']);

const words = (list: string[], overrides: Partial<ModerationRule> = {}): ModerationRule => ({
  name: 'Words',
  action: 'flag',
  roomTypes: null,
  match: { kind: 'words', words: list },
  ...overrides,
});
const added = (ruleId: string, rule: ModerationRule): ModerationPolicyEvent => ({
  type: 'ModerationRuleAdded',
  data: { ruleId, rule, addedBy: 'mod' },
});
const policyOf = (...rules: ModerationRule[]) =>
  compilePolicy(
    BigInt(rules.length - 1),
    rules.map((rule, index) => ({ ruleId: `rule-${index}`, rule })),
  );

describe('AddModerationRule', () => {
  const empty = fold(moderationPolicyAggregate, []);

  it('records the rule as it will judge: trimmed, lower-cased, without repeats', () => {
    expectThen(
      () =>
        decideAddModerationRule({ ruleId: RULE, rule: words([' Darn ', 'darn', 'HECK*']) }, empty, moderator),
      [added(RULE, words(['darn', 'heck*']))],
    );
  });

  it('is for moderators only', () => {
    expectThen(() => decideAddModerationRule({ ruleId: RULE, rule: words(['x']) }, empty, as('bob')), {
      error: 'forbidden',
    });
  });

  it('refuses what cannot be matched', () => {
    const refused = (rule: ModerationRule) =>
      expectThen(() => decideAddModerationRule({ ruleId: RULE, rule }, empty, moderator), {
        error: 'invalid_input',
      });
    refused(words(['two words']));
    refused(words(['***']));
    refused(words([]));
    refused({ ...words(['x']), match: { kind: 'regex', pattern: '(a)\\1' } }); // a backreference: not RE2
    refused({ ...words(['x']), match: { kind: 'regex', pattern: 'a'.repeat(501) } });
    refused({ ...words(['x']), match: { kind: 'regex', pattern: '((a{1000}){1000}){1000}' } });
    refused({ ...words(['x']), match: { kind: 'link_domains', mode: 'block', domains: ['not a domain'] } });
    refused({ ...words(['x']), roomTypes: [] });
    refused({ ...words(['x']), name: '  ' });
  });

  it('records nothing for a retry with the same rule, and refuses the id for another rule', () => {
    const state = fold(moderationPolicyAggregate, [added(RULE, words(['darn']))]);
    expectThen(() => decideAddModerationRule({ ruleId: RULE, rule: words(['darn']) }, state, moderator), []);
    expectThen(() => decideAddModerationRule({ ruleId: RULE, rule: words(['heck']) }, state, moderator), {
      error: 'idempotency_conflict',
    });
  });
});

describe('ChangeModerationRule and RemoveModerationRule', () => {
  const state = fold(moderationPolicyAggregate, [added(RULE, words(['darn']))]);

  it('records the whole rule as changed', () => {
    expectThen(
      () => decideChangeModerationRule({ ruleId: RULE, changes: { action: 'bounce' } }, state, moderator),
      [
        {
          type: 'ModerationRuleChanged',
          data: { ruleId: RULE, rule: words(['darn'], { action: 'bounce' }), changedBy: 'mod' },
        },
      ],
    );
  });

  it('keeps the kind of match, and knows only rules that exist', () => {
    expectThen(
      () =>
        decideChangeModerationRule(
          { ruleId: RULE, changes: { match: { kind: 'regex', pattern: 'x' } } },
          state,
          moderator,
        ),
      { error: 'invalid_input' },
    );
    expectThen(() => decideChangeModerationRule({ ruleId: OTHER_RULE, changes: {} }, state, moderator), {
      error: 'not_found',
    });
  });

  it('removes a rule once', () => {
    expectThen(
      () => decideRemoveModerationRule({ ruleId: RULE }, state, moderator),
      [{ type: 'ModerationRuleRemoved', data: { ruleId: RULE, removedBy: 'mod' } }],
    );
    expectThen(() => decideRemoveModerationRule({ ruleId: OTHER_RULE }, state, moderator), []);
  });
});

describe('judging a message', () => {
  it('matches whole words, case ignored, and * inside a word', () => {
    const policy = policyOf(words(['darn', 'heck*', '*bomb']));
    expect(judgeMessage(policy, 'Well, DARN it', 'group')).toMatchObject({
      outcome: 'flag',
      ruleId: 'rule-0',
    });
    expect(judgeMessage(policy, 'what the heckity', 'group').outcome).toBe('flag');
    expect(judgeMessage(policy, 'a photobomb', 'group').outcome).toBe('flag');
    expect(judgeMessage(policy, 'darning socks', 'group').outcome).toBe('allow');
    expect(judgeMessage(policy, 'check the heater', 'group').outcome).toBe('allow');
  });

  it('matches RE2 regular expressions anywhere in the text', () => {
    const policy = policyOf({ ...words(['x']), match: { kind: 'regex', pattern: '(?i)card\\s*\\d{4}' } });
    expect(judgeMessage(policy, 'my CARD 1234 ok', 'group').outcome).toBe('flag');
    expect(judgeMessage(policy, 'my card is lost', 'group').outcome).toBe('allow');
  });

  it('judges a catastrophic pattern in linear time: (a+)+$ on a long run of a with no end', () => {
    const policy = policyOf({ ...words(['x']), match: { kind: 'regex', pattern: '(a+)+$' } });
    // a backtracking engine takes longer than the age of the universe on this; RE2 answers at once
    expect(judgeMessage(policy, `${'a'.repeat(3_999)}!`, 'group').outcome).toBe('allow');
    expect(judgeMessage(policy, 'a'.repeat(4_000), 'group').outcome).toBe('flag');
  });

  it('blocks links to listed domains and their subdomains, bare or with a scheme', () => {
    const policy = policyOf({
      ...words(['x']),
      match: { kind: 'link_domains', mode: 'block', domains: ['evil.example'] },
    });
    expect(judgeMessage(policy, 'see https://cdn.EVIL.example/x', 'group').outcome).toBe('flag');
    expect(judgeMessage(policy, 'see evil.example now', 'group').outcome).toBe('flag');
    expect(judgeMessage(policy, 'see https://notevil.example/', 'group').outcome).toBe('allow');
  });

  it('with an allow list, flags links to any other domain', () => {
    const policy = policyOf({
      ...words(['x']),
      match: { kind: 'link_domains', mode: 'allow', domains: ['company.example'] },
    });
    expect(judgeMessage(policy, 'https://wiki.company.example/page', 'group').outcome).toBe('allow');
    expect(judgeMessage(policy, 'go to https://elsewhere.example', 'group').outcome).toBe('flag');
    expect(judgeMessage(policy, 'www.elsewhere.example', 'group').outcome).toBe('flag');
    // a file name is no link
    expect(judgeMessage(policy, 'attached report.pdf', 'group').outcome).toBe('allow');
  });

  it('applies a rule only in the room types it names', () => {
    const policy = policyOf(words(['darn'], { roomTypes: ['task'] }));
    expect(judgeMessage(policy, 'darn', 'task').outcome).toBe('flag');
    expect(judgeMessage(policy, 'darn', 'group').outcome).toBe('allow');
  });

  it('decides by the strongest rule that matches: bounce, then block, then flag', () => {
    const policy = policyOf(
      words(['darn'], { name: 'mild' }),
      words(['darn', 'heck'], { name: 'hide', action: 'block' }),
      words(['heck'], { name: 'refuse', action: 'bounce' }),
    );
    expect(judgeMessage(policy, 'darn', 'group')).toEqual({
      outcome: 'block',
      ruleId: 'rule-1',
      ruleName: 'hide',
    });
    expect(judgeMessage(policy, 'darn heck', 'group')).toEqual({
      outcome: 'bounce',
      ruleId: 'rule-2',
      ruleName: 'refuse',
    });
  });
});
