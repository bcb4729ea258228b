// The moderation policy (stream moderation-policy): the rules sends and edits are to be judged
// by (moderationRules.ts), managed by moderators. One stream for the whole policy, so its revision is the
// policy's version and every node compiles exactly the rules of one revision.
import { isModerator, type WhoAndWhen } from './actor.ts';
import type { Aggregate } from './aggregate.ts';
import { DomainError } from './errors.ts';
import type {
  ModerationAction,
  ModerationMatch,
  ModerationPolicyEvent,
  ModerationRule,
  ModerationRuleAdded,
  ModerationRuleChanged,
  ModerationRuleRemoved,
  RoomType,
} from './events.ts';
import {
  characterCount,
  MAX_DOMAINS_PER_RULE,
  MAX_MODERATION_RULE_NAME_LENGTH,
  MAX_MODERATION_RULES,
  MAX_MODERATION_WORD_LENGTH,
  MAX_REGEX_LENGTH,
  MAX_WILDCARD_WORDS_PER_RULE,
  MAX_WORDS_PER_RULE,
} from './limits.ts';
import { compileRegex } from './moderationRules.ts';

/** the rules in the order they were added (a change keeps a rule's place) */
export type ModerationPolicyState = {
  rules: ReadonlyMap<string, ModerationRule>;
};

export function evolveModerationPolicy(
  state: ModerationPolicyState,
  event: ModerationPolicyEvent,
): ModerationPolicyState {
  const rules = new Map(state.rules);
  switch (event.type) {
    case 'ModerationRuleAdded':
    case 'ModerationRuleChanged':
      rules.set(event.data.ruleId, event.data.rule);
      return { rules };
    case 'ModerationRuleRemoved':
      rules.delete(event.data.ruleId);
      return { rules };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

export const moderationPolicyAggregate: Aggregate<ModerationPolicyState, ModerationPolicyEvent> = {
  name: 'moderation-policy',
  initialState: () => ({ rules: new Map() }),
  evolve: evolveModerationPolicy,
};

// ── what a rule may be ───────────────────────────────────────────────────────────────────────────────

const ACTIONS: readonly ModerationAction[] = ['flag', 'bounce', 'block'];
const ROOM_TYPES: readonly RoomType[] = ['direct', 'group', 'task', 'property'];
/** a word of letters, digits and underscores, `*` for any run of them; not only stars */
const MODERATION_WORD = /^[\p{L}\p{N}_*]+$/u;
/** a host name: labels of letters, digits and inner hyphens, a top-level label of letters */
const DOMAIN =
  /^(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+\p{L}(?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
/** RE2's rough cost of a compiled pattern: bounds what a short pattern can expand to (a{1000}{1000}) */
const MAX_REGEX_PROGRAM_SIZE = 20_000;

const invalid = (message: string) => new DomainError('invalid_input', message);

function checkedList(items: readonly string[], what: string, max: number, valid: (item: string) => boolean) {
  if (items.length === 0 || items.length > max) throw invalid(`A rule has 1 to ${max} ${what}`);
  const normalized = items.map((item) => item.trim().toLowerCase());
  const bad = normalized.find((item) => !valid(item));
  if (bad !== undefined) throw invalid(`Not a valid ${what.replace(/s$/, '')}: "${bad.slice(0, 80)}"`);
  return [...new Set(normalized)];
}

function checkedMatch(match: ModerationMatch): ModerationMatch {
  switch (match.kind) {
    case 'words': {
      const words = checkedList(
        match.words,
        'words',
        MAX_WORDS_PER_RULE,
        (word) =>
          characterCount(word) <= MAX_MODERATION_WORD_LENGTH &&
          MODERATION_WORD.test(word) &&
          word.replaceAll('*', '') !== '',
      );
      if (words.filter((word) => word.includes('*')).length > MAX_WILDCARD_WORDS_PER_RULE) {
        throw invalid(`A rule has at most ${MAX_WILDCARD_WORDS_PER_RULE} words with a *`);
      }
      return { kind: 'words', words };
    }
    case 'regex': {
      const { pattern } = match;
      if (pattern === '' || characterCount(pattern) > MAX_REGEX_LENGTH) {
        throw invalid(`A pattern has 1 to ${MAX_REGEX_LENGTH} characters`);
      }
      let programSize: number;
      try {
        programSize = compileRegex(pattern).programSize();
      } catch (error) {
        throw invalid(`Not an RE2 regular expression: ${(error as Error).message}`);
      }
      if (programSize > MAX_REGEX_PROGRAM_SIZE) throw invalid('This pattern expands too far; simplify it');
      return { kind: 'regex', pattern };
    }
    case 'link_domains': {
      if (match.mode !== 'block' && match.mode !== 'allow') throw invalid('mode is block or allow');
      const domains = checkedList(
        match.domains,
        'domains',
        MAX_DOMAINS_PER_RULE,
        (domain) => domain.length <= 253 && DOMAIN.test(domain),
      );
      return { kind: 'link_domains', mode: match.mode, domains };
    }
    default: {
      const _exhaustive: never = match;
      throw invalid('kind is words, regex or link_domains');
    }
  }
}

/** A rule as it will be stored: trimmed, lower-cased lists without repeats; refused when malformed. */
export function checkedRule(rule: ModerationRule): ModerationRule {
  const name = rule.name.trim();
  if (name === '' || characterCount(name) > MAX_MODERATION_RULE_NAME_LENGTH) {
    throw invalid(`A rule name has 1 to ${MAX_MODERATION_RULE_NAME_LENGTH} characters`);
  }
  if (!ACTIONS.includes(rule.action)) throw invalid('action is flag, bounce or block');
  if (rule.roomTypes !== null) {
    if (rule.roomTypes.length === 0 || rule.roomTypes.some((type) => !ROOM_TYPES.includes(type))) {
      throw invalid('room_types lists room types (direct, group, task, property), or is null for all');
    }
  }
  const roomTypes = rule.roomTypes && [...new Set(rule.roomTypes)];
  return { name, action: rule.action, roomTypes, match: checkedMatch(rule.match) };
}

function requireModerator({ actor }: WhoAndWhen): void {
  if (!isModerator(actor)) throw new DomainError('forbidden', 'Only moderators manage moderation rules');
}

// ── commands ─────────────────────────────────────────────────────────────────────────────────────────

export type AddModerationRule = { ruleId: string; rule: ModerationRule };

/** Adding the same rule id again (a retried request) with the same rule records nothing. */
export function decideAddModerationRule(
  command: AddModerationRule,
  state: ModerationPolicyState,
  context: WhoAndWhen,
): ModerationRuleAdded[] {
  requireModerator(context);
  const rule = checkedRule(command.rule);
  if (state.rules.has(command.ruleId)) {
    if (JSON.stringify(state.rules.get(command.ruleId)) === JSON.stringify(rule)) return [];
    throw new DomainError('idempotency_conflict', 'A rule with this id exists with other content');
  }
  if (state.rules.size >= MAX_MODERATION_RULES) {
    throw invalid(`The policy has at most ${MAX_MODERATION_RULES} rules; remove one first`);
  }
  return [
    { type: 'ModerationRuleAdded', data: { ruleId: command.ruleId, rule, addedBy: context.actor.userId } },
  ];
}

/** The fields to change; the kind of match stays (a rule of another kind is another rule). */
export type ChangeModerationRule = {
  ruleId: string;
  changes: Partial<Omit<ModerationRule, 'match'>> & { match?: ModerationMatch };
};

export function decideChangeModerationRule(
  command: ChangeModerationRule,
  state: ModerationPolicyState,
  context: WhoAndWhen,
): ModerationRuleChanged[] {
  requireModerator(context);
  const current = state.rules.get(command.ruleId);
  if (!current) throw new DomainError('not_found', 'Moderation rule not found');
  const { match, ...fields } = command.changes;
  if (match && match.kind !== current.match.kind) {
    throw invalid(`This rule matches ${current.match.kind}; add a new rule for ${match.kind}`);
  }
  const rule = checkedRule({ ...current, ...fields, match: match ?? current.match });
  if (JSON.stringify(rule) === JSON.stringify(current)) return [];
  return [
    {
      type: 'ModerationRuleChanged',
      data: { ruleId: command.ruleId, rule, changedBy: context.actor.userId },
    },
  ];
}

export type RemoveModerationRule = { ruleId: string };

/** Removing a rule that is gone records nothing. */
export function decideRemoveModerationRule(
  command: RemoveModerationRule,
  state: ModerationPolicyState,
  context: WhoAndWhen,
): ModerationRuleRemoved[] {
  requireModerator(context);
  if (!state.rules.has(command.ruleId)) return [];
  return [
    { type: 'ModerationRuleRemoved', data: { ruleId: command.ruleId, removedBy: context.actor.userId } },
  ];
}
