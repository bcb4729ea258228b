// Access-token verification shared by REST (Authorization: Bearer) and WebSocket (?token=).
// Everything a token may get wrong ends in an AuthError with a stable code; callers answer 401 with it
// (or 503 for `auth_unavailable`, when the JWKS cannot be fetched: that is our fault, not the client's).
import {
  createRemoteJWKSet,
  errors,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { Config } from '../config.ts';
import { textProblem } from '../domain/text.ts';

export const ROLES = ['moderator', 'auditor', 'ops', 'privacy_officer'] as const;
export type Role = (typeof ROLES)[number];

export type AuthenticatedUser = {
  /** `sub`, or SimpleJWT's `user_id`, as text */
  userId: string;
  /** display name from the `username` claim, when present */
  username?: string;
  /** known roles from the `roles` claim; unknown ones are ignored */
  roles: Role[];
  /** when the token stops being valid (WebSocket sessions close then) */
  expiresAt: Date;
};

export type AuthErrorCode =
  | 'token_missing'
  | 'token_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_wrong_type'
  | 'token_claims_invalid'
  | 'token_algorithm_not_allowed'
  | 'token_unknown_key'
  | 'auth_unavailable';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type TokenVerifier = (token: string) => Promise<AuthenticatedUser>;

export type TokenVerifierConfig = Pick<
  Config,
  'CHAT_JWT_SECRET' | 'CHAT_JWKS_URL' | 'CHAT_JWT_ISSUER' | 'CHAT_JWT_AUDIENCE'
>;

/** Tokens from a clock up to this far ahead or behind are still accepted (ASVS: at most 60 s). */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Asymmetric algorithms accepted from a JWKS. HS* never comes from a JWKS: no HS/RS confusion. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];
/** A uuid, a SimpleJWT integer id, or another short opaque id: nothing that could smuggle syntax. */
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_USERNAME_LENGTH = 150;

/**
 * Builds the verifier from configuration: HS256 with CHAT_JWT_SECRET, RS256/ES256 from CHAT_JWKS_URL, or
 * both (the header's alg picks the key; each algorithm family only ever sees its own key source).
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const secret = config.CHAT_JWT_SECRET ? new TextEncoder().encode(config.CHAT_JWT_SECRET) : undefined;
  const jwks = config.CHAT_JWKS_URL ? createRemoteJWKSet(new URL(config.CHAT_JWKS_URL)) : undefined;
  if (!secret && !jwks) throw new Error('createTokenVerifier: set CHAT_JWT_SECRET or CHAT_JWKS_URL');

  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  const getKey: JWTVerifyGetKey = async (header: JWTHeaderParameters, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks) return jwks(header, token);
    // unreachable: jose refuses algorithms outside `algorithms` before asking for a key
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  };

  return async (token: string) => {
    if (!token) throw new AuthError('token_missing', 'No access token was sent');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        algorithms,
        requiredClaims: ['exp'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        ...(config.CHAT_JWT_ISSUER ? { issuer: config.CHAT_JWT_ISSUER } : {}),
        ...(config.CHAT_JWT_AUDIENCE ? { audience: config.CHAT_JWT_AUDIENCE } : {}),
      }));
    } catch (error) {
      throw toAuthError(error);
    }
    return userFromClaims(payload);
  };
}

/** The claims of an already verified token, checked for what this service needs. */
export function userFromClaims(payload: JWTPayload, nowMs = Date.now()): AuthenticatedUser {
  // jose checks `iat` only against a maximum age; one from the future means a wrong clock or a forgery
  if (typeof payload.iat === 'number' && payload.iat > nowMs / 1000 + CLOCK_TOLERANCE_SECONDS) {
    throw new AuthError('token_not_yet_valid', 'The token was issued in the future');
  }
  const tokenType = payload.token_type;
  if (tokenType !== undefined && tokenType !== 'access') {
    throw new AuthError('token_wrong_type', 'Only access tokens are accepted');
  }
  const rawId = payload.sub ?? payload.user_id;
  const userId = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
  if (typeof userId !== 'string' || !USER_ID_PATTERN.test(userId)) {
    throw new AuthError('token_claims_invalid', 'The token names no valid user (sub or user_id)');
  }
  const username = payload.username;
  if (username !== undefined && (typeof username !== 'string' || username.length > MAX_USERNAME_LENGTH)) {
    throw new AuthError('token_claims_invalid', 'The username claim is not a short string');
  }
  // shown to others and stored with what the user writes: the rule of every name (docs/api.md, "Text")
  const usernameProblem = username === undefined ? undefined : textProblem(username, 'name');
  if (usernameProblem) throw new AuthError('token_claims_invalid', `The username claim ${usernameProblem}`);
  const roles = Array.isArray(payload.roles)
    ? ROLES.filter((role) => (payload.roles as unknown[]).includes(role))
    : [];
  return {
    userId,
    ...(username ? { username } : {}),
    roles,
    expiresAt: new Date((payload.exp ?? 0) * 1000),
  };
}

function toAuthError(error: unknown): AuthError {
  if (error instanceof errors.JWTExpired) return new AuthError('token_expired', 'The token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if ((error.claim === 'nbf' || error.claim === 'iat') && error.reason === 'check_failed') {
      return new AuthError('token_not_yet_valid', 'The token is not valid yet');
    }
    return new AuthError('token_claims_invalid', `The token's "${error.claim}" claim is ${error.reason}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return new AuthError('token_algorithm_not_allowed', 'The token is signed with an algorithm not accepted');
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError('token_unknown_key', 'The token names no key this service knows');
  }
  // the JWKS endpoint down, slow or answering garbage: a generic JOSEError, or fetch's own TypeError
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') ||
    error instanceof TypeError
  ) {
    return new AuthError('auth_unavailable', 'The signing keys cannot be fetched right now');
  }
  return new AuthError('token_invalid', 'The token is not valid');
}
