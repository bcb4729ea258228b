// A retention run (docs/privacy.md, "Retention"): for every room a rule covers, the data keys of the days
// before its cutoff that no legal hold covers are destroyed, with what those days left outside the event
// store: the attachments uploaded then and the audit secrets of the events written then. A dry run
// reports the same selection and changes nothing. Per room, under the holds' lock: the selection, then
// (a real run) the files and secrets, the RetentionApplied the projections blank from, and the keys last,
// so a run that fails part-way is finished by the next one (the event is recorded once per cutoff).
import { destroyLeafSecrets } from '../audit/erasedSecrets.ts';
import { readEvents } from '../audit/scanEvents.ts';
import type { CommandContext } from '../commands/context.ts';
import { loadAggregate } from '../commands/handleCommand.ts';
import { recordRetentionApplied } from '../commands/recordRetentionApplied.ts';
import type { RetentionRule, RoomType, SparedScope } from '../domain/events.ts';
import { isSpared, retentionCutoff, retentionPolicyAggregate, ruleForRoom } from '../domain/retention.ts';
import { RETENTION_POLICY_STREAM } from '../domain/streams.ts';
import { countRetainedMessages } from '../projections/chat/retainedRoom.ts';
import type { StoredAttachment } from '../storage/attachmentStorage.ts';
import { ENCRYPTED_EVENT_TYPES, subjectsOf } from './encryptedFields.ts';
import type { ShreddingDeps } from './eraseSubject.ts';
import { utcDayOf } from './keyStore.ts';
import type { RoomKeySelection } from './legalHolds.ts';

/** the chat read model, as every reader sees it (its live generation) */
const CHAT_READ = 'chat_read';

/** what a run does (or a dry run would do) to one room */
export type RoomRetention = {
  roomId: string;
  roomType: RoomType;
  mode: RetentionRule['mode'];
  /** YYYY-MM-DD: the days strictly before it go */
  cutoff: string;
  keys: number;
  /** keys of those days that legal holds keep */
  heldKeys: number;
  messages: number;
  attachments: number;
};

export type RetentionReport = { today: string; dryRun: boolean; rooms: RoomRetention[] };

export async function runRetention(
  ctx: CommandContext,
  deps: ShreddingDeps,
  options: { dryRun: boolean; today?: string },
): Promise<RetentionReport> {
  const today = options.today ?? utcDayOf((ctx.now?.() ?? new Date()).toISOString());
  const { state: policy } = await loadAggregate(ctx, retentionPolicyAggregate, RETENTION_POLICY_STREAM);
  const report: RetentionReport = { today, dryRun: options.dryRun, rooms: [] };
  if (policy.rules.length === 0) return report;
  const { rows } = await deps.pool.query<{ id: string; room_type: RoomType }>(
    `SELECT id, room_type FROM ${CHAT_READ}.rooms ORDER BY id`,
  );
  // read once per run, and only when a room has keys to destroy
  let attachments: StoredAttachment[] | null = null;
  for (const room of rows) {
    const rule = ruleForRoom(policy, { id: room.id, roomType: room.room_type });
    if (!rule) continue;
    const cutoff = retentionCutoff(today, rule.days);
    /** what the selection takes from the room: the report's line, and the files to delete */
    const plan = async ({ spared, keys, heldKeys }: RoomKeySelection) => {
      attachments ??= await deps.attachments.list();
      const files = attachments.filter(
        (a) => a.roomId === room.id && retained(spared, cutoff, a.uploaderId, utcDayOf(a.createdAt)),
      );
      const messages = await countRetainedMessages(deps.pool, CHAT_READ, {
        roomId: room.id,
        cutoff,
        mode: rule.mode,
        spared,
      });
      const line: RoomRetention = {
        roomId: room.id,
        roomType: room.room_type,
        mode: rule.mode,
        cutoff,
        keys,
        heldKeys,
        messages,
        attachments: files.length,
      };
      return { line, files };
    };
    let applied: RoomRetention | null = null;
    const selection = await deps.legalHolds.roomKeysBefore(
      room.id,
      cutoff,
      options.dryRun
        ? undefined
        : async (selected) => {
            const { line, files } = await plan(selected);
            const ids = new Set(files.map((file) => file.id));
            await deps.attachments.deleteMatching((a) => ids.has(a.id));
            await destroyLeafSecrets(
              deps.pool,
              await eventsWrittenBefore(ctx, room.id, cutoff, selected.spared),
            );
            await recordRetentionApplied(ctx, {
              roomId: room.id,
              cutoff,
              mode: rule.mode,
              spared: selected.spared,
              keysDestroyed: line.keys,
              messages: line.messages,
              attachmentsDeleted: line.attachments,
            });
            applied = line;
          },
    );
    if (selection.keys === 0) continue;
    report.rooms.push(applied ?? (await plan(selection)).line);
  }
  // keys were destroyed: nothing this process holds may open what they sealed
  if (!options.dryRun && report.rooms.length > 0) {
    deps.forgetCachedKeys();
    ctx.stateCache?.clear();
  }
  return report;
}

/** written by `userId` on `day`, a day before the cutoff no spared scope covers */
const retained = (spared: readonly SparedScope[], cutoff: string, userId: string, day: string) =>
  day < cutoff && !isSpared(spared, userId, day);

/**
 * ids of the room's events with fields under the keys the run destroys: written before the cutoff, every
 * subject of them unspared (an event that also holds a held person's field keeps its audit secret)
 */
async function eventsWrittenBefore(
  ctx: CommandContext,
  roomId: string,
  cutoff: string,
  spared: readonly SparedScope[],
): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of readEvents(ctx.eventStore, { roomId, eventTypes: ENCRYPTED_EVENT_TYPES })) {
    for (const event of page) {
      const day = utcDayOf(event.metadata.occurredAt);
      if (day >= cutoff) continue;
      const subjects = [...subjectsOf(event.type, event)];
      if (subjects.length > 0 && subjects.every((subject) => !isSpared(spared, subject, day))) {
        ids.push(event.id);
      }
    }
  }
  return ids;
}
