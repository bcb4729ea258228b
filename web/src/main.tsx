// The chatbox's entry: sign in, then the chat on the client library (src/client).
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ChatClient } from '../../src/client/chatClient.ts';
import { ChatScreen } from './chatScreen.tsx';
import {
  loadWebConfig,
  refreshSession,
  type Session,
  savedSession,
  saveSession,
  type WebConfig,
} from './session.ts';
import { SignIn } from './signIn.tsx';
import { ChatStore } from './store.ts';

function App() {
  const [config, setConfig] = useState<WebConfig | null>(null);
  const [session, setSession] = useState<Session | null>(savedSession);
  useEffect(() => {
    loadWebConfig().then(setConfig, () =>
      setConfig({ development_sign_in: false, login_url: null, refresh_url: null }),
    );
  }, []);
  const signIn = (next: Session | null) => {
    saveSession(next);
    setSession(next);
  };
  if (!config) return <p class="loading">Loading…</p>;
  if (!session) return <SignIn config={config} onSignedIn={signIn} />;
  return <Chat key={session.userId} session={session} config={config} onSignOut={() => signIn(null)} />;
}

function Chat({
  session,
  config,
  onSignOut,
}: {
  session: Session;
  config: WebConfig;
  onSignOut: () => void;
}) {
  const store = useMemo(() => {
    let current = session;
    const client = new ChatClient({
      baseUrl: '',
      userId: session.userId,
      token: () => current.access,
      refreshToken: async () => {
        const fresh = await refreshSession(current, config);
        if (!fresh) return null;
        current = fresh;
        saveSession(fresh);
        return fresh.access;
      },
    });
    return new ChatStore(client, session.userId);
  }, [session, config]);
  useEffect(() => {
    store.client.start();
    void store.loadRooms();
    const online = () => store.client.socket.reconnectNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      store.client.stop();
    };
  }, [store]);
  return <ChatScreen store={store} username={session.username} onSignOut={onSignOut} />;
}

render(<App />, document.getElementById('app')!);
