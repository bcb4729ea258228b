// Sign-in: "sign in as" in development (the service mints the token), the Django backend's login or a
// pasted token otherwise. Tokens go to sessionStorage, never into a URL.
import { useState } from 'preact/hooks';
import { developmentToken, djangoLogin, type Session, sessionFrom, type WebConfig } from './session.ts';

export function SignIn({
  config,
  onSignedIn,
}: {
  config: WebConfig;
  onSignedIn: (session: Session) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const attempt = (run: () => Promise<Session>) => (event: Event) => {
    event.preventDefault();
    setError(null);
    run().then(onSignedIn, (failure: Error) => setError(failure.message));
  };
  const field = (form: EventTarget | null, name: string) =>
    ((form as HTMLFormElement).elements.namedItem(name) as HTMLInputElement).value.trim();
  return (
    <main class="sign-in">
      <h1>Sign in to chat</h1>
      {config.development_sign_in && (
        <form
          aria-labelledby="dev-title"
          onSubmit={(event) =>
            attempt(() =>
              developmentToken(field(event.currentTarget, 'user_id'), field(event.currentTarget, 'username')),
            )(event)
          }
        >
          <h2 id="dev-title">Development: sign in as</h2>
          <label>
            User id <input name="user_id" required pattern="[A-Za-z0-9_\-]{1,64}" autocomplete="off" />
          </label>
          <label>
            Name <input name="username" required maxLength={150} autocomplete="off" />
          </label>
          <button type="submit">Sign in as this user</button>
        </form>
      )}
      {config.login_url && (
        <form
          aria-labelledby="login-title"
          onSubmit={(event) =>
            attempt(() =>
              djangoLogin(
                config.login_url!,
                field(event.currentTarget, 'username'),
                field(event.currentTarget, 'password'),
              ),
            )(event)
          }
        >
          <h2 id="login-title">Sign in</h2>
          <label>
            User name <input name="username" required autocomplete="username" />
          </label>
          <label>
            Password <input name="password" type="password" required autocomplete="current-password" />
          </label>
          <button type="submit">Sign in</button>
        </form>
      )}
      <form
        aria-labelledby="token-title"
        onSubmit={attempt(async () => {
          const session = sessionFrom(field(document.getElementById('pasted-token-form'), 'token'));
          if (!session) throw new Error('that is not an access token');
          return session;
        })}
        id="pasted-token-form"
      >
        <h2 id="token-title">Or paste an access token</h2>
        <label>
          Access token <input name="token" required autocomplete="off" />
        </label>
        <button type="submit">Use this token</button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </main>
  );
}
