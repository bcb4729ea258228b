// The KeyStore port: where data keys live, by scope. Whoever encrypts asks for the live key of a scope
// (created on first use), whoever decrypts asks for keys by id and learns when one was destroyed. The
// PostgreSQL adapter (postgresKeyStore.ts) keeps them wrapped by a KeyWrapper (keyWrapper.ts).

/** what one data key covers: a subject's personal fields in one room on one UTC day (docs/privacy.md) */
export type KeyScope = {
  readonly subjectId: string;
  readonly roomId: string;
  /** YYYY-MM-DD, the UTC day of the event's metadata.occurredAt */
  readonly day: string;
};

/** the UTC day of an ISO timestamp (occurredAt is written by toISOString): the day of a key's scope */
export const utcDayOf = (iso: string) => iso.slice(0, 10);

export type DataKey = { readonly keyId: string; readonly key: Buffer };

/** which keys a destruction (or a dry run of one) selects; all given parts must match */
export type KeySelection = {
  readonly subjectId?: string;
  readonly roomIds?: readonly string[];
  /** days strictly before this YYYY-MM-DD */
  readonly before?: string;
};

export interface KeyStore {
  /** the live key of each scope, created where there is none; in the order asked */
  liveKeys(scopes: readonly KeyScope[]): Promise<DataKey[]>;
  /** keys by id: the key, 'destroyed', or absent from the map when the id is unknown */
  keysById(keyIds: readonly string[]): Promise<Map<string, Buffer | 'destroyed'>>;
  /** destroys the live keys selected; returns their scopes */
  destroy(selection: KeySelection): Promise<(KeyScope & { keyId: string })[]>;
  /**
   * how many destructions that destroyed a key have committed, in any process: a number that only grows,
   * so a process that sees it move knows keys it may hold were destroyed
   */
  destructions(): Promise<bigint>;
  /** rewraps every live key not wrapped by the current master key; returns how many it rewrapped */
  rewrapAll(): Promise<number>;
  /**
   * how many keys each master key wraps, live and destroyed: a destroyed key keeps no wrapped key and so
   * no master key (masterKeyId null). A master key no live key names can be removed from configuration
   */
  keyCounts(): Promise<MasterKeyCount[]>;
}

export type MasterKeyCount = {
  readonly masterKeyId: string | null;
  readonly live: number;
  readonly destroyed: number;
};

export const scopeKey = (scope: KeyScope) => `${scope.subjectId}\u0000${scope.roomId}\u0000${scope.day}`;
