// Writing: Enter sends (Shift+Enter for a new line), Escape cancels a reply or an edit, typing is told to
// the others while it goes on, files upload with progress and the service's refusal shown.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RoomWithUnreadJson } from '../../src/contract/resources.ts';
import type { ChatStore, ShownMessage } from './store.ts';

const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;

type Props = {
  store: ChatStore;
  room: RoomWithUnreadJson;
  replyTo: ShownMessage | null;
  editing: ShownMessage | null;
  onDone: () => void;
};

export function Composer({ store, room, replyTo, editing, onDone }: Props) {
  const [text, setText] = useState('');
  const [upload, setUpload] = useState<{ name: string; percent: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const typing = useRef({ sentAt: 0, idle: 0 as ReturnType<typeof setTimeout> | 0 });

  // a layout effect, in the same task as the render that started the edit: a deferred effect ran after
  // paint, so what was typed right after clicking Edit was replaced by the old text, and saved as it
  useLayoutEffect(() => {
    if (editing) setText(editing.content);
    if (editing || replyTo) input.current?.focus();
  }, [editing?.id, replyTo?.id]);

  const stopTyping = () => {
    if (typing.current.idle) clearTimeout(typing.current.idle);
    if (typing.current.sentAt === 0) return;
    typing.current.sentAt = 0;
    store.client.typing(room.id, false);
  };
  // the composer goes away with the room, or when the room is archived: the others stop seeing us type
  useEffect(() => stopTyping, []);
  const onInput = (value: string) => {
    setText(value);
    const now = Date.now();
    if (now - typing.current.sentAt > TYPING_REPEAT_MS) {
      typing.current.sentAt = now;
      store.client.typing(room.id, true);
    }
    if (typing.current.idle) clearTimeout(typing.current.idle);
    typing.current.idle = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const submit = async () => {
    const content = text.trim();
    if (!content) return;
    setError(null);
    stopTyping();
    if (editing) {
      try {
        await store.client.rest.editMessage(editing.id, content);
      } catch (failure) {
        setError((failure as Error).message);
        return;
      }
    } else {
      store.client.send(room.id, content, replyTo ? { reply_to: replyTo.id } : {});
    }
    setText('');
    onDone();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void submit();
    } else if (event.key === 'Escape' && (editing || replyTo)) {
      event.preventDefault();
      setText('');
      onDone();
    }
  };

  const onFile = async (event: Event) => {
    const picker = event.currentTarget as HTMLInputElement;
    const file = picker.files?.[0];
    picker.value = '';
    if (!file) return;
    setError(null);
    setUpload({ name: file.name, percent: 0 });
    try {
      const attachment = await store.client.rest.uploadAttachment(room.id, {
        file,
        fileName: file.name,
        onProgress: (sent, total) =>
          setUpload({ name: file.name, percent: total ? Math.round((100 * sent) / total) : 0 }),
      });
      store.client.send(room.id, text.trim() || file.name, { attachment_id: attachment.id });
      setText('');
    } catch (failure) {
      setError(`${file.name}: ${(failure as Error).message}`);
    } finally {
      setUpload(null);
    }
  };

  const inputId = `composer-${room.id}`;
  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      {(replyTo || editing) && (
        <p class="composer-mode">
          {editing ? 'Editing your message' : `Replying to ${replyTo!.sender.username ?? replyTo!.sender.id}`}{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              setText('');
              onDone();
            }}
          >
            Cancel (Esc)
          </button>
        </p>
      )}
      {upload && (
        <p class="upload">
          <label>
            Uploading {upload.name} <progress max={100} value={upload.percent} />
          </label>
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="composer-row">
        <label class="attach">
          <span class="visually-hidden">Attach a file</span>
          <input
            type="file"
            accept="image/png,image/jpeg,image/gif,image/webp,application/pdf"
            onChange={onFile}
          />
          <span aria-hidden="true">📎</span>
        </label>
        <label for={inputId} class="visually-hidden">
          Message
        </label>
        <textarea
          id={inputId}
          ref={input}
          rows={1}
          value={text}
          placeholder="Write a message"
          onInput={(event) => onInput(event.currentTarget.value)}
          onKeyDown={onKeyDown}
          onBlur={stopTyping}
          maxLength={10000}
        />
        <button type="submit">{editing ? 'Save' : 'Send'}</button>
      </div>
    </form>
  );
}
