// The moderation policy over REST (/api/moderation/rules/): moderators list, add, change and remove the
// rules of the moderation policy (sends and edits are judged by it: docs/moderation.md). Lists are answered from this node's policy (the rules it holds
// compiled); after a change this node refreshes before answering, so a moderator reads their
// own change, and every other node has it within a second.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addModerationRule } from '../commands/addModerationRule.ts';
import { changeModerationRule } from '../commands/changeModerationRule.ts';
import { removeModerationRule } from '../commands/removeModerationRule.ts';
import { RoomType as RoomTypeSchema, Uuid } from '../contract/resources.ts';
import type { ModerationMatch, ModerationRule } from '../domain/events.ts';
import {
  MAX_DOMAINS_PER_RULE,
  MAX_MODERATION_RULE_NAME_LENGTH,
  MAX_MODERATION_WORD_LENGTH,
  MAX_REGEX_LENGTH,
  MAX_WORDS_PER_RULE,
} from '../domain/limits.ts';
import { timeOrderedId } from '../domain/streams.ts';
import { BodyText, NameText } from '../domain/text.ts';
import { requireModerator } from './access.ts';
import { commandContext, withPosition } from './commandContext.ts';
import { COMMAND_PROBLEMS, WRITE_HEADERS } from './openApiDocument.ts';
import { notFound } from './problems.ts';
import { AckSchema, WriteAck } from './schemas.ts';

const MatchSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('words'),
    words: z
      .array(NameText.min(1).max(MAX_MODERATION_WORD_LENGTH))
      .min(1)
      .max(MAX_WORDS_PER_RULE)
      .describe('whole words, case ignored; `*` stands for any run of letters and digits (`spam*`)'),
  }),
  z.strictObject({
    kind: z.literal('regex'),
    pattern: BodyText.min(1)
      .max(MAX_REGEX_LENGTH)
      .describe('RE2 syntax (no backreferences or lookarounds), matched anywhere in the text; (?i) for case'),
  }),
  z.strictObject({
    kind: z.literal('link_domains'),
    mode: z
      .enum(['block', 'allow'])
      .describe('block: links to these domains (or subdomains); allow: links (scheme or www.) to any other'),
    domains: z.array(NameText.min(1).max(253)).min(1).max(MAX_DOMAINS_PER_RULE),
  }),
]);

const ActionSchema = z
  .enum(['flag', 'bounce', 'block'])
  .describe(
    'flag: stored, visible, reported to moderators; bounce: refused (message_bounced); block: stored hidden',
  );

const RuleFields = {
  name: NameText.trim().min(1).max(MAX_MODERATION_RULE_NAME_LENGTH),
  action: ActionSchema,
  room_types: z.array(RoomTypeSchema).min(1).nullable().describe('null: every room type'),
  match: MatchSchema,
};

const AddRuleBody = z
  .strictObject({ ...RuleFields, room_types: RuleFields.room_types.default(null) })
  .meta({ id: 'AddModerationRule' });
const ChangeRuleBody = z
  .strictObject({
    name: RuleFields.name.optional(),
    action: ActionSchema.optional(),
    room_types: RuleFields.room_types.optional(),
    match: MatchSchema.optional().describe('of the kind the rule has'),
  })
  .meta({ id: 'ChangeModerationRule' });

const RuleJson = z
  .object({
    id: Uuid,
    name: z.string(),
    action: ActionSchema,
    room_types: z.array(RoomTypeSchema).nullable(),
    match: MatchSchema,
  })
  .meta({ id: 'ModerationRule' });
const RuleWithPosition = RuleJson.extend(WriteAck);
const RuleList = z
  .object({
    revision: z.string().describe("the policy's version: the moderation-policy stream's revision"),
    rules: z
      .array(RuleJson)
      .describe('in the order they were added; of equally strong matches the first decides'),
  })
  .meta({ id: 'ModerationRules' });
const RuleParams = z.object({ id: Uuid });

const ruleJson = (ruleId: string, rule: ModerationRule): z.infer<typeof RuleJson> => ({
  id: ruleId,
  name: rule.name,
  action: rule.action,
  room_types: rule.roomTypes,
  match: rule.match,
});

const WRITE_PROBLEMS = [...COMMAND_PROBLEMS, 'invalid_input', 'idempotency_conflict'] as const;

export const moderationRuleRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.addHook('onRequest', requireModerator);
  const policy = fastify.moderationPolicy;
  const ruleById = (ruleId: string) => {
    const found = policy.rules().rules.find((entry) => entry.ruleId === ruleId);
    if (!found) throw notFound('Moderation rule');
    return ruleJson(found.ruleId, found.rule);
  };

  fastify.get(
    '/rules/',
    {
      schema: {
        tags: ['moderation'],
        operationId: 'listModerationRules',
        summary: 'The moderation rules (moderators)',
        response: { 200: RuleList },
        problems: ['not_found'],
      },
    },
    async () => {
      const { revision, rules } = policy.rules();
      return {
        revision: revision.toString(),
        rules: rules.map(({ ruleId, rule }) => ruleJson(ruleId, rule)),
      };
    },
  );

  fastify.get(
    '/rules/:id/',
    {
      schema: {
        tags: ['moderation'],
        operationId: 'getModerationRule',
        summary: 'One moderation rule (moderators)',
        params: RuleParams,
        response: { 200: RuleJson },
        problems: ['not_found'],
      },
    },
    async (request) => {
      return ruleById(request.params.id);
    },
  );

  fastify.post(
    '/rules/',
    {
      schema: {
        tags: ['moderation'],
        summary: 'Add a moderation rule (moderators); every node holds it within a second',
        operationId: 'addModerationRule',
        body: AddRuleBody,
        response: { 201: RuleWithPosition },
        responseHeaders: WRITE_HEADERS,
        problems: WRITE_PROBLEMS,
      },
    },
    async (request, reply) => {
      const { name, action, room_types, match } = request.body;
      const result = await addModerationRule(commandContext(request), {
        ruleId: timeOrderedId(),
        rule: { name, action, roomTypes: room_types, match: match as ModerationMatch },
      });
      await policy.refresh();
      return reply.code(201).send(withPosition(reply, result.position, ruleById(result.ruleId)));
    },
  );

  fastify.patch(
    '/rules/:id/',
    {
      schema: {
        tags: ['moderation'],
        summary: 'Change a moderation rule (moderators): the fields given',
        params: RuleParams,
        operationId: 'changeModerationRule',
        body: ChangeRuleBody,
        response: { 200: RuleWithPosition },
        responseHeaders: WRITE_HEADERS,
        problems: WRITE_PROBLEMS,
      },
    },
    async (request, reply) => {
      const { name, action, room_types, match } = request.body;
      const result = await changeModerationRule(commandContext(request), {
        ruleId: request.params.id,
        changes: {
          ...(name !== undefined ? { name } : {}),
          ...(action !== undefined ? { action } : {}),
          ...(room_types !== undefined ? { roomTypes: room_types } : {}),
          ...(match !== undefined ? { match: match as ModerationMatch } : {}),
        },
      });
      await policy.refresh();
      return withPosition(reply, result.position, ruleById(result.ruleId));
    },
  );

  fastify.delete(
    '/rules/:id/',
    {
      schema: {
        tags: ['moderation'],
        summary: 'Remove a moderation rule (moderators); removing one that is gone changes nothing',
        operationId: 'removeModerationRule',
        params: RuleParams,
        response: { 200: AckSchema },
        responseHeaders: WRITE_HEADERS,
        problems: WRITE_PROBLEMS,
      },
    },
    async (request, reply) => {
      const result = await removeModerationRule(commandContext(request), { ruleId: request.params.id });
      await policy.refresh();
      return withPosition(reply, result.position, { ok: true as const });
    },
  );
};
