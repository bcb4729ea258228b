// Every fact the chat domain records. Events are the source of truth: read models, realtime frames,
// auditors' replays and exports are all derived from these. Never change the meaning of a field;
// add a new field (optional) or a new event type, and bump EVENT_SCHEMA_VERSION when the shape changes.
//
// Streams (see streams.ts):
//   room-{roomId}                 lifecycle, settings, membership, roles, moderation mutes, notification mutes
//   message-{messageId}           sent, edited, deleted, hidden/restored, reactions
//   readmarker-{roomId}_{userId}  how far one participant has read
//   blocks-{userId}               the users this user has blocked
//   report-{reportId}             one user's report of one message
//   auditread-{readId}            one auditor's read of the history (the watchers are watched)
//   erasure-{erasureId}           one erasure of a person's personal data (docs/privacy.md)
//   legalhold-{holdId}            one legal hold, placed and released
//   moderation-policy             the moderation rules every send and edit is checked against

export const EVENT_SCHEMA_VERSION = 1;

/** User ids come from the token: a uuid (`sub`) or a SimpleJWT integer id (`user_id`), kept as text. */
export type UserId = string;

export type RoomType = 'direct' | 'group' | 'task' | 'property';
export type MessageType = 'text' | 'image' | 'file' | 'system';

/**
 * Who reads a room's history: `shared`, every current member reads all of it, from the room's creation;
 * `joined`, a member reads only what was sent while they were in the room (each of their membership
 * windows). A room without the setting is `shared`; direct rooms never carry it.
 */
export type HistoryVisibility = 'shared' | 'joined';

export type RoomSettings = {
  /** minimum seconds between two messages of one member (0 = off); enforced at the edge by the rate limiter */
  slowModeSeconds?: number;
  /** absent: `shared` */
  historyVisibility?: HistoryVisibility;
};

// A personal field (docs/privacy.md, "What is encrypted") is null once its subject's data key is
// destroyed (an erasure, retention): the tombstone every reader of the store gets instead of the text.

export type AttachmentRef = {
  /** id returned by the upload endpoint; the file itself lives in attachment storage */
  id: string;
  /** null: erased */
  fileName: string | null;
  contentType: string;
  sizeBytes: number;
};

// ── room-{roomId} ────────────────────────────────────────────────────────────────────────────────────
export type RoomCreated = {
  type: 'RoomCreated';
  data: {
    roomId: string;
    name: string;
    roomType: RoomType;
    taskId?: string | null;
    propertyId?: string | null;
    createdBy: UserId;
    /** the creator first, as admin */
    /** username null: erased */
    participants: { userId: UserId; username?: string | null; isAdmin: boolean }[];
    settings: RoomSettings;
  };
};
export type RoomUpdated = {
  type: 'RoomUpdated';
  data: { roomId: string; name?: string; settings?: RoomSettings; updatedBy: UserId };
};
export type RoomArchived = { type: 'RoomArchived'; data: { roomId: string; archivedBy: UserId } };
export type RoomUnarchived = { type: 'RoomUnarchived'; data: { roomId: string; unarchivedBy: UserId } };
export type ParticipantAdded = {
  type: 'ParticipantAdded';
  /** username null: erased */
  data: { roomId: string; userId: UserId; username?: string | null; isAdmin: boolean; addedBy: UserId };
};
export type ParticipantRemoved = {
  type: 'ParticipantRemoved';
  data: { roomId: string; userId: UserId; removedBy: UserId };
};
export type ParticipantLeft = { type: 'ParticipantLeft'; data: { roomId: string; userId: UserId } };
export type ParticipantAdminSet = {
  type: 'ParticipantAdminSet';
  data: { roomId: string; userId: UserId; isAdmin: boolean; setBy: UserId };
};
/** moderation mute: the participant cannot send until `until` (null = until unmuted) */
export type ParticipantMuted = {
  type: 'ParticipantMuted';
  data: { roomId: string; userId: UserId; until: string | null; mutedBy: UserId };
};
export type ParticipantUnmuted = {
  type: 'ParticipantUnmuted';
  data: { roomId: string; userId: UserId; unmutedBy: UserId };
};
/** a participant silences the room's notifications for themself (not moderation) */
export type RoomNotificationsMuted = {
  type: 'RoomNotificationsMuted';
  data: { roomId: string; userId: UserId; muted: boolean; until: string | null };
};

// ── message-{messageId} ──────────────────────────────────────────────────────────────────────────────
export type MessageSent = {
  type: 'MessageSent';
  data: {
    messageId: string;
    roomId: string;
    senderId: UserId;
    /** null: erased */
    senderUsername?: string | null;
    messageType: MessageType;
    /** null: erased */
    content: string | null;
    replyTo?: string | null;
    attachment?: AttachmentRef | null;
    clientId?: string | null;
    /**
     * the moderation policy's `block` rule that matched: stored hidden from the start (no participant ever
     * sees its text; moderators and auditors do), and moderators' restore brings it back
     */
    blocked?: { ruleId: string; ruleName: string };
  };
};
/** the earlier content stays in the earlier events: edit history is the stream */
export type MessageEdited = {
  type: 'MessageEdited';
  /** content null: erased */
  data: { messageId: string; roomId: string; content: string | null; editedBy: UserId };
};
export type MessageDeleted = {
  type: 'MessageDeleted';
  data: { messageId: string; roomId: string; deletedBy: UserId };
};
export type MessageHidden = {
  type: 'MessageHidden';
  data: { messageId: string; roomId: string; hiddenBy: UserId; reason: string };
};
export type MessageRestored = {
  type: 'MessageRestored';
  data: { messageId: string; roomId: string; restoredBy: UserId };
};
export type ReactionAdded = {
  type: 'ReactionAdded';
  data: { messageId: string; roomId: string; userId: UserId; emoji: string };
};
export type ReactionRemoved = {
  type: 'ReactionRemoved';
  data: { messageId: string; roomId: string; userId: UserId; emoji: string };
};

// ── readmarker-{roomId}_{userId} ─────────────────────────────────────────────────────────────────────
/** read up to and including this message (markers only move forward in the read model) */
export type MessagesRead = {
  type: 'MessagesRead';
  data: { roomId: string; userId: UserId; upToMessageId: string };
};
/** read everything in the room as of this event's place in the global order */
export type RoomMarkedRead = { type: 'RoomMarkedRead'; data: { roomId: string; userId: UserId } };

// ── blocks-{userId} ──────────────────────────────────────────────────────────────────────────────────
export type UserBlocked = { type: 'UserBlocked'; data: { userId: UserId; blockedUserId: UserId } };
export type UserUnblocked = { type: 'UserUnblocked'; data: { userId: UserId; blockedUserId: UserId } };

// ── report-{reportId} ────────────────────────────────────────────────────────────────────────────────
export type MessageReported = {
  type: 'MessageReported';
  data: { reportId: string; messageId: string; roomId: string; reporterId: UserId; reason: string };
};
export type ReportResolved = {
  type: 'ReportResolved';
  data: {
    reportId: string;
    resolvedBy: UserId;
    action: 'hidden' | 'dismissed';
    /** the reported message and its room (recorded since the audit history: older events lack them) */
    messageId?: string;
    roomId?: string;
  };
};

// ── bounce-{bounceId} ─────────────────────────────────────────────────────────────────────────────────
/**
 * A send or edit the moderation policy refused (a `bounce` rule): nothing was stored in the message's
 * stream and no one but the moderators and auditors ever sees it. `edit` says which it was.
 */
export type MessageBounced = {
  type: 'MessageBounced';
  data: {
    bounceId: string;
    messageId: string;
    roomId: string;
    senderId: UserId;
    content: string;
    edit: boolean;
    ruleId: string;
    ruleName: string;
  };
};

// ── auditread-{readId} ───────────────────────────────────────────────────────────────────────────────
/** What an auditor reads of the history; in the read room's history too (metadata.roomId). */
export type AuditedResource =
  | 'room_events'
  | 'room_state'
  | 'message'
  | 'message_visibility'
  | 'user_activity'
  | 'export'
  | 'export_download';
export type AuditorRead = {
  type: 'AuditorRead';
  data: {
    readId: string;
    auditorId: UserId;
    resource: AuditedResource;
    roomId?: string;
    messageId?: string;
    userId?: UserId;
    /** the read's query parameters as validated (ids, times, positions, types: no free text) */
    query: Record<string, string>;
  };
};

// ── erasure-{erasureId} ──────────────────────────────────────────────────────────────────────────────
/**
 * A person's personal data was erased (docs/privacy.md): every data key of theirs is destroyed, so their
 * fields read as null from now on, and their attachments are deleted. Carries no personal data itself.
 */
export type SubjectErased = {
  type: 'SubjectErased';
  data: {
    erasureId: string;
    subjectId: UserId;
    requestedBy: UserId;
    keysDestroyed: number;
    attachmentsDeleted: number;
  };
};

// ── moderation-policy ───────────────────────────────────────────────────────────────────────────────
/**
 * What a rule matches: whole words (`*` stands for any run of letters and digits inside the word, case
 * ignored), an RE2 regular expression (linear time: no rule can hang a node), or the domains of links
 * (`block`: links to these domains or their subdomains; `allow`: links to any other domain).
 */
export type ModerationMatch =
  | { kind: 'words'; words: string[] }
  | { kind: 'regex'; pattern: string }
  | { kind: 'link_domains'; mode: 'block' | 'allow'; domains: string[] };

/** flag: stored, visible, reported to the moderators; bounce: refused; block: stored hidden */
export type ModerationAction = 'flag' | 'bounce' | 'block';

export type ModerationRule = {
  name: string;
  action: ModerationAction;
  /** the room types the rule applies to; null: every room type */
  roomTypes: RoomType[] | null;
  match: ModerationMatch;
};

export type ModerationRuleAdded = {
  type: 'ModerationRuleAdded';
  data: { ruleId: string; rule: ModerationRule; addedBy: UserId };
};
/** the rule as it is from now on (the whole rule, not the changed fields) */
export type ModerationRuleChanged = {
  type: 'ModerationRuleChanged';
  data: { ruleId: string; rule: ModerationRule; changedBy: UserId };
};
export type ModerationRuleRemoved = {
  type: 'ModerationRuleRemoved';
  data: { ruleId: string; removedBy: UserId };
};

export type ModerationPolicyEvent = ModerationRuleAdded | ModerationRuleChanged | ModerationRuleRemoved;

export type RoomEvent =
  | RoomCreated
  | RoomUpdated
  | RoomArchived
  | RoomUnarchived
  | ParticipantAdded
  | ParticipantRemoved
  | ParticipantLeft
  | ParticipantAdminSet
  | ParticipantMuted
  | ParticipantUnmuted
  | RoomNotificationsMuted;

export type MessageEvent =
  | MessageSent
  | MessageEdited
  | MessageDeleted
  | MessageHidden
  | MessageRestored
  | ReactionAdded
  | ReactionRemoved;

export type ReadMarkerEvent = MessagesRead | RoomMarkedRead;
export type BlockEvent = UserBlocked | UserUnblocked;
export type ReportEvent = MessageReported | ReportResolved;
export type AuditEvent = AuditorRead;

/** an erasure a legal hold covers waits (GDPR art. 17(3)(e)); it runs when the last such hold is released */
export type ErasureQueued = {
  type: 'ErasureQueued';
  data: { erasureId: string; subjectId: UserId; requestedBy: UserId; heldBy: string[] };
};

// ── legalhold-{holdId} ───────────────────────────────────────────────────────────────────────────────
/**
 * What a legal hold covers: every data key whose subject, room and day match each part given (null: any).
 * Days are YYYY-MM-DD, both ends included.
 */
export type HoldScope = {
  userId: UserId | null;
  roomId: string | null;
  from: string | null;
  to: string | null;
};
export type LegalHoldPlaced = {
  type: 'LegalHoldPlaced';
  /** the scope nested: a hold is not an event of the room it names */
  data: { holdId: string; placedBy: UserId; scope: HoldScope };
};
export type LegalHoldReleased = { type: 'LegalHoldReleased'; data: { holdId: string; releasedBy: UserId } };

// ── retention-policy, retention-{roomId} ─────────────────────────────────────────────────────────────
/**
 * How long a room's messages are kept (docs/privacy.md, "Retention"): after `days` whole UTC days they are
 * shredded (read as erased tombstones) or deleted (read as deleted). A rule names a room or a room type;
 * a room's own rule wins over its type's.
 */
export type RetentionRule = {
  roomId: string | null;
  roomType: RoomType | null;
  days: number;
  mode: 'shred' | 'delete';
};
/** the whole policy from now on (it replaces the one before) */
export type RetentionPolicySet = {
  type: 'RetentionPolicySet';
  data: { rules: RetentionRule[]; setBy: UserId };
};
/** a hold's scope that spared part of a room from a retention run (the holds on that room, or on none) */
export type SparedScope = { userId: UserId | null; from: string | null; to: string | null };
/**
 * A retention run destroyed the data keys of one room's days before `cutoff` that no hold covered, and the
 * attachments uploaded then: the projections blank (shred) or delete what those days held, except what
 * `spared` covers. Counts are what the run selected.
 */
export type RetentionApplied = {
  type: 'RetentionApplied';
  data: {
    roomId: string;
    /** YYYY-MM-DD: the days strictly before it went */
    cutoff: string;
    mode: RetentionRule['mode'];
    spared: SparedScope[];
    keysDestroyed: number;
    messages: number;
    attachmentsDeleted: number;
    appliedBy: UserId;
  };
};

export type ErasureEvent = ErasureQueued | SubjectErased;
export type LegalHoldEvent = LegalHoldPlaced | LegalHoldReleased;
export type RetentionEvent = RetentionPolicySet | RetentionApplied;
export type PrivacyEvent = ErasureEvent | LegalHoldEvent | RetentionEvent;

export type ChatEvent =
  | RoomEvent
  | MessageEvent
  | ReadMarkerEvent
  | BlockEvent
  | ReportEvent
  | MessageBounced
  | AuditEvent
  | PrivacyEvent;
