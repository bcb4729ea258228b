// Who is signed in: the access token (and a Django refresh token) in sessionStorage, never in a URL. The
// user's id and name are read from the token's claims for display; the service verifies it on every call.
export type WebConfig = {
  development_sign_in: boolean;
  login_url: string | null;
  refresh_url: string | null;
};
export type Session = { access: string; refresh: string | null; userId: string; username: string };

const KEY = 'chat-session';

export async function loadWebConfig(): Promise<WebConfig> {
  const response = await fetch('/api/web/config/');
  return (await response.json()) as WebConfig;
}

export function claimsOf(token: string): { sub?: string; user_id?: string | number; username?: string } {
  const payload = token.split('.')[1] ?? '';
  try {
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return {};
  }
}

export function sessionFrom(access: string, refresh: string | null = null): Session | null {
  const claims = claimsOf(access);
  const userId = claims.sub ?? (claims.user_id === undefined ? undefined : String(claims.user_id));
  if (!userId) return null;
  return { access, refresh, userId, username: claims.username ?? userId };
}

export function savedSession(): Session | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Session | null;
    return saved?.access ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}

export async function developmentToken(userId: string, username: string): Promise<Session> {
  const response = await fetch('/api/web/development-token/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, username }),
  });
  if (!response.ok) throw new Error(((await response.json()) as { detail?: string }).detail ?? 'refused');
  const session = sessionFrom(((await response.json()) as { access: string }).access);
  if (!session) throw new Error('the token names no user');
  return session;
}

/** SimpleJWT: POST {username, password} → {access, refresh}. */
export async function djangoLogin(loginUrl: string, username: string, password: string): Promise<Session> {
  // the credentials travel in the body only: the login URL is the configured one, never with a query
  const response = await fetch(loginUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  }).catch(() => {
    throw new Error('The login service could not be reached');
  });
  if (!response.ok) {
    // SimpleJWT says why in `detail` ("No active account found with the given credentials")
    const detail = await response.json().then(
      (body: { detail?: unknown }) => (typeof body?.detail === 'string' ? body.detail : null),
      () => null,
    );
    throw new Error(
      detail ? `The login was refused: ${detail}` : `The login was refused (${response.status})`,
    );
  }
  const tokens = (await response.json()) as { access: string; refresh?: string };
  const session = sessionFrom(tokens.access, tokens.refresh ?? null);
  if (!session) throw new Error('the token names no user');
  return session;
}

/** A fresh access token: SimpleJWT's refresh endpoint, or a new development token. */
export async function refreshSession(session: Session, config: WebConfig): Promise<Session | null> {
  try {
    if (session.refresh && config.refresh_url) {
      const response = await fetch(config.refresh_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh: session.refresh }),
      });
      if (!response.ok) return null;
      const { access } = (await response.json()) as { access: string };
      return sessionFrom(access, session.refresh);
    }
    if (config.development_sign_in) return await developmentToken(session.userId, session.username);
  } catch {
    // unreachable: signed out, the page asks again
  }
  return null;
}
