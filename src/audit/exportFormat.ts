// The export file: JSON Lines, each line one JSON object with a type `t`, in this order:
//   header      format, version, the rooms exported, the signed checkpoint (C2SP tlog-checkpoint note)
//   event       one per event in global order: leaf index `i`, room index `ri`, the event, the salts of
//               its revealed text, the commitments of its erased text, its RFC 9162 inclusion proof
//   roomHeads   the checkpoint's last leaf (the room heads root), with its inclusion proof
//   roomHead    one per exported room: its head, its proof in the room heads tree, and its neighbours'
//   consistency zero or more: the root the log had at an earlier size, and the consistency proof
//   end         the number of events, so a truncated file is told from a complete one
// The checkpoint comes first so a verifier checks the signature before anything else and each proof as
// it streams. Hashes and salts are standard base64. Details: docs/audit.md.
import type { AuditEvent } from './leaf.ts';

export const EXPORT_FORMAT = 'chat-audit-export';
export const EXPORT_FORMAT_VERSION = 1;

export type HeaderLine = {
  t: 'header';
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_FORMAT_VERSION;
  rooms: string[];
  checkpoint: string;
};

export type EventLine = {
  t: 'event';
  i: number;
  ri: number;
  event: AuditEvent;
  salts: { [path: string]: string };
  erased: { [path: string]: string };
  proof: string[];
};

export type RoomHeadsLine = {
  t: 'roomHeads';
  i: number;
  treeSize: number;
  rooms: number;
  root: string;
  proof: string[];
};

export type RoomHeadEntry = { roomId: string; size: number; root: string; proof: string[] };

export type RoomHeadLine = {
  t: 'roomHead';
  roomId: string;
  size: number;
  root: string;
  index: number;
  proof: string[];
  /** the entries just before and after this room in the room heads tree: no other head for it between */
  left: RoomHeadEntry | null;
  right: RoomHeadEntry | null;
};

export type ConsistencyLine = { t: 'consistency'; size: number; root: string; proof: string[] };

export type EndLine = { t: 'end'; events: number };

export type ExportLine = HeaderLine | EventLine | RoomHeadsLine | RoomHeadLine | ConsistencyLine | EndLine;

/** One line. Members are written in the order the types above list them; events keep canonical key order. */
export function formatLine(line: ExportLine): string {
  return `${JSON.stringify(line)}\n`;
}
