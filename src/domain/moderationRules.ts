// The moderation policy compiled for the send path, and the one pure function sends and edits are to be
// judged by (src/commands/moderateMessage.ts). Compiled once per policy version (moderation-policy's revision), so a send only runs the
// matchers: the message's words are looked up in one table of every rule's plain words, a rule's
// wildcard words are one RE2 pattern per rule, regex rules and link extraction run on RE2 (re2js:
// linear time in the text, whatever the pattern, so a rule like (a+)+$ cannot stall a node).
import { RE2JS } from 're2js';
import type { ModerationAction, ModerationRule, RoomType } from './events.ts';

/** the letters, digits and underscores a word is made of (a word rule's `*` stands for a run of them) */
const WORD = /[\p{L}\p{N}_]+/gu;
const WORD_CHARACTERS = '[\\p{L}\\p{N}_]';
/**
 * A link's host: after a scheme (`https://`), or bare (`example.com`, `www.example.com`). Labels of
 * letters, digits and inner hyphens, a top-level label of at least two letters.
 */
const LINK = RE2JS.compile(
  '(?i)([a-z][a-z0-9+.-]*://)?((?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?\\.)+\\p{L}{2,63})',
);

export type Verdict = { outcome: 'allow' } | { outcome: ModerationAction; ruleId: string; ruleName: string };

export const ALLOW: Verdict = { outcome: 'allow' };

/** Which of two matched rules decides: refusing is the strongest, then hiding, then flagging. */
const SEVERITY: Record<ModerationAction, number> = { flag: 1, block: 2, bounce: 3 };

type CompiledRule = {
  ruleId: string;
  rule: ModerationRule;
  /** the rule's words with a `*`, as one anchored pattern matched against each word of a message */
  wildcards: RE2JS | null;
  regex: RE2JS | null;
};

export type CompiledPolicy = {
  /** the moderation-policy stream's revision it was compiled from (-1n: no rules ever) */
  revision: bigint;
  rules: readonly CompiledRule[];
  /** every word rule's plain words (lower case) to the rules that name them */
  words: ReadonlyMap<string, readonly CompiledRule[]>;
  hasLinkRules: boolean;
};

export const EMPTY_POLICY: CompiledPolicy = {
  revision: -1n,
  rules: [],
  words: new Map(),
  hasLinkRules: false,
};

/** Compiles an RE2 pattern; throws RE2JSSyntaxException (a syntax RE2 does not have, say backreferences). */
export function compileRegex(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

function wildcardPattern(word: string): string {
  return word
    .split('*')
    .map((part) => (part === '' ? '' : RE2JS.quote(part)))
    .join(`${WORD_CHARACTERS}*`);
}

/** `rules` in the policy's order: the first of equally strong matches decides. */
export function compilePolicy(
  revision: bigint,
  rules: readonly { ruleId: string; rule: ModerationRule }[],
): CompiledPolicy {
  const words = new Map<string, CompiledRule[]>();
  const compiled = rules.map(({ ruleId, rule }): CompiledRule => {
    const { match } = rule;
    let wildcards: RE2JS | null = null;
    let regex: RE2JS | null = null;
    if (match.kind === 'words') {
      const withStar = match.words.filter((word) => word.includes('*'));
      if (withStar.length > 0) {
        wildcards = RE2JS.compile(`^(?:${withStar.map(wildcardPattern).join('|')})$`, RE2JS.CASE_INSENSITIVE);
      }
    } else if (match.kind === 'regex') {
      regex = compileRegex(match.pattern);
    }
    return { ruleId, rule, wildcards, regex };
  });
  for (const entry of compiled) {
    if (entry.rule.match.kind !== 'words') continue;
    for (const word of entry.rule.match.words) {
      if (word.includes('*')) continue;
      const key = word.toLowerCase();
      const named = words.get(key);
      if (!named) words.set(key, [entry]);
      else if (!named.includes(entry)) named.push(entry);
    }
  }
  return {
    revision,
    rules: compiled,
    words,
    hasLinkRules: compiled.some((entry) => entry.rule.match.kind === 'link_domains'),
  };
}

type Link = { host: string; explicit: boolean };

function linksIn(text: string): Link[] {
  const links: Link[] = [];
  for (const found of LINK.matchAll(text)) {
    const host = found[2]!.toLowerCase();
    links.push({ host, explicit: found[1] !== undefined || host.startsWith('www.') });
  }
  return links;
}

const withinDomain = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

function linkRuleMatches(rule: CompiledRule, links: readonly Link[]): boolean {
  const match = rule.rule.match;
  if (match.kind !== 'link_domains') return false;
  if (match.mode === 'block') {
    return links.some((link) => match.domains.some((domain) => withinDomain(link.host, domain)));
  }
  // an allow list judges only what reads as a link (a scheme or www.): "notes.txt" is no link to a domain
  return links.some(
    (link) => link.explicit && !match.domains.some((domain) => withinDomain(link.host, domain)),
  );
}

const appliesTo = (rule: CompiledRule, roomType: RoomType) =>
  rule.rule.roomTypes === null || rule.rule.roomTypes.includes(roomType);

/** The verdict on a message's text in a room of this type: the strongest rule that matches, else allow. */
export function judgeMessage(policy: CompiledPolicy, text: string, roomType: RoomType): Verdict {
  if (policy.rules.length === 0 || text === '') return ALLOW;
  let decisive: CompiledRule | null = null;
  const consider = (rule: CompiledRule) => {
    if (!appliesTo(rule, roomType)) return;
    if (!decisive || SEVERITY[rule.rule.action] > SEVERITY[decisive.rule.action]) decisive = rule;
  };

  const messageWords = text.toLowerCase().match(WORD) ?? [];
  for (const word of messageWords) for (const rule of policy.words.get(word) ?? []) consider(rule);
  const links = policy.hasLinkRules ? linksIn(text) : [];
  for (const rule of policy.rules) {
    if (!appliesTo(rule, roomType)) continue;
    if (rule.wildcards) {
      const pattern = rule.wildcards;
      if (messageWords.some((word) => pattern.testExact(word))) consider(rule);
    }
    if (rule.regex?.test(text)) consider(rule);
    if (links.length > 0 && linkRuleMatches(rule, links)) consider(rule);
  }
  const found = decisive as CompiledRule | null;
  return found ? { outcome: found.rule.action, ruleId: found.ruleId, ruleName: found.rule.name } : ALLOW;
}
