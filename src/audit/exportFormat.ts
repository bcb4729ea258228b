// The export file: JSON Lines, each line one JSON object with a type `t`, in this order:
//   header      format, version, the rooms exported, the signed checkpoint (C2SP tlog-checkpoint note)
//   roomHeads   the checkpoint's last leaf (the room heads root), with its inclusion proof
//   roomHead    one per exported room: its head, its proof in the room heads tree, and its neighbours'
//   event       one per event in global order: its room and room index, the siblings of its path in the
//               room's tree that no line before it gave (roomTreeProof.ts), the salts and texts of its
//               revealed fields, and last the event's leaf itself, the very bytes the log hashed (the
//               event without its personal text, and the commitments to that text)
//   consistency zero or more: the root the log had at an earlier size, and the consistency proof
//   end         the number of events, so a truncated file is told from a complete one
// The signed checkpoint and the room heads come first so a verifier knows every exported room's signed
// head before the events, and checks each event against it as it streams. Hashes and salts are standard
// base64. Details: docs/audit.md.

export const EXPORT_FORMAT = 'chat-audit-export';
/** 2: room heads before the events, room tree proofs per line (1 had global inclusion proofs per line) */
export const EXPORT_FORMAT_VERSION = 2;

export type HeaderLine = {
  t: 'header';
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_FORMAT_VERSION;
  rooms: string[];
  checkpoint: string;
};

export type EventLine = {
  t: 'event';
  room: string;
  ri: number;
  proof: string[];
  salts: { [path: string]: string };
  texts: { [path: string]: string };
  /** the leaf's canonical JSON, written as it is (a JSON object in the line, not a string) */
  leaf: string;
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

export type ExportLine = HeaderLine | RoomHeadsLine | RoomHeadLine | EventLine | ConsistencyLine | EndLine;

/** One line. Members are written in the order the types above list them; an event's leaf goes last, verbatim. */
export function formatLine(line: ExportLine): string {
  if (line.t !== 'event') return `${JSON.stringify(line)}\n`;
  const { leaf, ...rest } = line;
  return `${JSON.stringify(rest).slice(0, -1)},"leaf":${leaf}}\n`;
}
