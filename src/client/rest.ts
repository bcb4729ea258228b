// Typed REST calls to /api/chat (docs/api.md). Answers are typed by the wire contract (src/contract); the
// request shapes are the few fields a client sets. A 401 asks the token hook for a fresh token once.
import type {
  AttachmentJson,
  MessageJson,
  ParticipantJson,
  RoomJson,
  RoomWithUnreadJson,
} from '../contract/resources.ts';
import { ChatApiError, ChatAuthError, ChatNetworkError } from './errors.ts';

export type TokenSource = {
  /** the current access token */
  token: () => string | Promise<string>;
  /** called when the service refused the token (expired): a fresh one, or null when signed out */
  refreshToken?: () => Promise<string | null>;
};

export type RestOptions = TokenSource & {
  /** the service's origin, e.g. `http://localhost:8000`; '' for the page's own origin */
  baseUrl: string;
};

export type Ack = { ok: true; position: string };
/** a send's answer: durable, numbered (seq) once projected */
export type SentMessage = Omit<MessageJson, 'seq'> & { seq: number | null; position: string };
export type UploadedAttachment = AttachmentJson & { room: string; created_at: string };
export type MessageVersion = { edit_no: number; content: string; edited_by: string; edited_at: string };
export type ReadReceipt = { user: string; last_read_seq: number; read_at: string };

export type CreateRoom = {
  room_type: 'direct' | 'group' | 'task' | 'property';
  name?: string;
  task?: string;
  property?: string;
  participant_ids?: string[];
};
export type SendMessage = {
  content: string;
  client_id?: string;
  reply_to?: string | null;
  attachment_id?: string;
};

type Query = Record<string, string | number | boolean | undefined>;
type Upload = { file: Blob; fileName: string; onProgress?: (sent: number, total: number) => void };

export class ChatRest {
  private readonly options: RestOptions;

  constructor(options: RestOptions) {
    this.options = options;
  }

  listRooms(query: { type?: string; include_archived?: boolean; limit?: number; cursor?: string } = {}) {
    return this.call<{ results: RoomWithUnreadJson[]; next_cursor: string | null }>('GET', '/rooms/', {
      query,
    });
  }
  getRoom(roomId: string) {
    return this.call<RoomWithUnreadJson>('GET', `/rooms/${id(roomId)}/`);
  }
  createRoom(body: CreateRoom) {
    return this.call<RoomWithUnreadJson>('POST', '/rooms/', { body });
  }
  renameRoom(roomId: string, name: string) {
    return this.call<RoomJson>('PATCH', `/rooms/${id(roomId)}/`, { body: { name } });
  }
  archiveRoom(roomId: string) {
    return this.call<Ack>('POST', `/rooms/${id(roomId)}/archive/`);
  }
  leaveRoom(roomId: string) {
    return this.call<Ack>('POST', `/rooms/${id(roomId)}/leave/`);
  }
  /** oldest first; no cursor: the newest `limit` */
  listMessages(
    roomId: string,
    query: { before?: number; after?: number; limit?: number; wait_for?: string } = {},
  ) {
    return this.call<{ results: MessageJson[]; has_more: boolean }>('GET', `/rooms/${id(roomId)}/messages/`, {
      query,
    });
  }
  sendMessage(roomId: string, body: SendMessage) {
    return this.call<SentMessage>('POST', `/rooms/${id(roomId)}/messages/`, { body });
  }
  editMessage(messageId: string, content: string) {
    return this.call<MessageJson>('PATCH', `/messages/${id(messageId)}/`, { body: { content } });
  }
  deleteMessage(messageId: string) {
    return this.call<Ack>('DELETE', `/messages/${id(messageId)}/`);
  }
  messageHistory(messageId: string) {
    return this.call<MessageVersion[]>('GET', `/messages/${id(messageId)}/history/`);
  }
  messageReaders(messageId: string) {
    return this.call<ReadReceipt[]>('GET', `/messages/${id(messageId)}/readers/`);
  }
  addReaction(messageId: string, emoji: string) {
    return this.call<MessageJson>('POST', `/messages/${id(messageId)}/reactions/`, { body: { emoji } });
  }
  removeReaction(messageId: string, emoji: string) {
    return this.call<MessageJson>('DELETE', `/messages/${id(messageId)}/reactions/`, { body: { emoji } });
  }
  markRead(roomId: string, messageId?: string) {
    return this.call<Ack>('POST', `/rooms/${id(roomId)}/mark-read/`, {
      body: messageId ? { message_id: messageId } : {},
    });
  }
  listParticipants(roomId: string) {
    return this.call<ParticipantJson[]>('GET', `/rooms/${id(roomId)}/participants/`);
  }
  addParticipant(roomId: string, userId: string, username?: string) {
    return this.call<ParticipantJson>('POST', `/rooms/${id(roomId)}/participants/`, {
      body: { user_id: userId, ...(username ? { username } : {}) },
    });
  }

  /** Uploads one file (with progress where the platform reports it: XMLHttpRequest in browsers). */
  async uploadAttachment(roomId: string, upload: Upload): Promise<UploadedAttachment> {
    const path = `/rooms/${id(roomId)}/attachments/`;
    const form = new FormData();
    form.append('file', upload.file, upload.fileName);
    if (!upload.onProgress || !xhrConstructor()) {
      return this.call<UploadedAttachment>('POST', path, { form });
    }
    const onProgress = upload.onProgress;
    return this.withToken((token) =>
      xhrUpload(`${this.options.baseUrl}/api/chat${path}`, token, form, onProgress),
    ) as Promise<UploadedAttachment>;
  }

  /** An attachment's bytes (downloads need the Authorization header, so no bare URL works). */
  async downloadAttachment(attachmentId: string): Promise<Blob> {
    const response = await this.withToken((token) =>
      this.fetch('GET', `/attachments/${id(attachmentId)}/`, token, {}),
    );
    return response.blob();
  }

  private async call<T>(method: string, path: string, request: RequestParts = {}): Promise<T> {
    const response = await this.withToken((token) => this.fetch(method, path, token, request));
    return (await response.json()) as T;
  }

  /** Runs a request with the token; on a 401, once more with a refreshed one. */
  private async withToken<T>(run: (token: string) => Promise<T>): Promise<T> {
    try {
      return await run(await this.options.token());
    } catch (error) {
      if (!(error instanceof ChatApiError) || error.status !== 401) throw error;
      const fresh = await this.options.refreshToken?.();
      if (!fresh) throw new ChatAuthError(error.code);
      return run(fresh);
    }
  }

  private async fetch(method: string, path: string, token: string, request: RequestParts) {
    let url = `${this.options.baseUrl}/api/chat${path}`;
    const query = queryString(request.query);
    if (query) url += `?${query}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let body: string | FormData | undefined;
    if (request.form) body = request.form;
    else if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      throw new ChatNetworkError(`cannot reach the chat service: ${(error as Error).message}`);
    }
    if (!response.ok) throw await problemOf(response);
    return response;
  }
}

type RequestParts = { query?: Query; body?: unknown; form?: FormData };

const id = (value: string) => encodeURIComponent(value);

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  return params.toString();
}

async function problemOf(response: { status: number; text(): Promise<string> }): Promise<ChatApiError> {
  const text = await response.text().catch(() => '');
  let problem: { code?: unknown; detail?: unknown; title?: unknown; field?: unknown } = {};
  try {
    problem = JSON.parse(text);
  } catch {
    // not problem+json (a proxy's page): the status says it
  }
  const message = String(problem.detail ?? problem.title ?? `HTTP ${response.status}`);
  return new ChatApiError(
    response.status,
    typeof problem.code === 'string' ? problem.code : `http_${response.status}`,
    message,
    typeof problem.field === 'string' ? problem.field : undefined,
  );
}

// The slice of XMLHttpRequest used here (the library is typed without the DOM's lib).
type Xhr = {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: FormData): void;
  upload: { onprogress: ((event: { loaded: number; total: number }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  status: number;
  responseText: string;
};
const xhrConstructor = () => (globalThis as { XMLHttpRequest?: new () => Xhr }).XMLHttpRequest;

function xhrUpload(
  url: string,
  token: string,
  form: FormData,
  onProgress: (sent: number, total: number) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const Request = xhrConstructor() as new () => Xhr;
    const xhr = new Request();
    xhr.open('POST', url);
    xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.total);
    xhr.onerror = () => reject(new ChatNetworkError('the upload was interrupted'));
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText));
      else problemOf({ status: xhr.status, text: async () => xhr.responseText }).then(reject, reject);
    };
    xhr.send(form);
  });
}
