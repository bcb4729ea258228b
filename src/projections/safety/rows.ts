// Rows of the safety read models, exactly as stored (snake_case columns, ISO timestamps).

export type ReportRow = {
  id: string;
  message_id: string;
  room_id: string;
  reporter_id: string;
  reason: string;
  /** 'open' until resolved, then the action: 'hidden' or 'dismissed' */
  status: string;
  created_at: string;
  resolved_by: string | null;
  resolved_at: string | null;
};

export type UserBlockRow = { user_id: string; blocked_user_id: string; created_at: string };

/** A write the moderation policy bounced; its text is in the event store only (stream bounce-{id}). */
export type BounceRow = {
  id: string;
  position: string;
  message_id: string;
  room_id: string;
  sender_id: string;
  rule_id: string;
  rule_name: string;
  is_edit: boolean;
  bounced_at: string;
};
