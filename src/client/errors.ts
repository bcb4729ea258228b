// What a caller of the client library can catch, told apart by class: the service refused (ChatApiError,
// with the stable `code` of src/errors/errorTable.ts), the service could not be reached (ChatNetworkError),
// or there is no usable token (ChatAuthError).

export class ChatError extends Error {
  override readonly name: string = 'ChatError';
}

/** The service answered with a problem+json refusal. */
export class ChatApiError extends ChatError {
  override readonly name = 'ChatApiError';
  readonly status: number;
  readonly code: string;
  /** the field the refusal names (`body.content`), when it names one */
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }

  /** worth retrying unchanged later: the service is away, busy, or lost a race */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500 || this.code === 'concurrency_conflict';
  }
}

/** No answer: the network or the service is down. Nothing was refused; retry later. */
export class ChatNetworkError extends ChatError {
  override readonly name = 'ChatNetworkError';
}

/** The token was refused and no fresh one could be had (the refresh hook returned nothing). */
export class ChatAuthError extends ChatError {
  override readonly name = 'ChatAuthError';
  readonly code: string;

  constructor(code: string) {
    super(`not signed in: ${code}`);
    this.code = code;
  }
}
