// What one connection may write to the log. Every refused frame, failed authentication or socket error is
// logged (at info: it is the client's doing), but a client that sends a thousand bad frames must not write
// a thousand lines: after the first few, one line says the rest are suppressed.

export type ConnectionLogger = {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
};

/** A logger that makes children with bindings of their own (pino's `child`, as Fastify's request log is). */
export type ParentLogger = { child(bindings: Record<string, unknown>): ConnectionLogger };

/** Log lines one connection may write before the rest are suppressed. */
export const MAX_LOG_LINES_PER_CONNECTION = 10;

/**
 * The connection's log: lines carry `bindings` (the upgrade's request id). Most sockets never write a line,
 * and ten thousand idle sockets would hold ten thousand child loggers, so the child is made at the first
 * line; a class rather than closures keeps what an idle socket holds to one small object.
 */
class BoundedLogger implements ConnectionLogger {
  private written = 0;
  private logger: ConnectionLogger | undefined;
  private readonly parent: ParentLogger;
  private readonly bindings: Record<string, unknown>;
  private readonly maxLines: number;

  constructor(parent: ParentLogger, bindings: Record<string, unknown>, maxLines: number) {
    this.parent = parent;
    this.bindings = bindings;
    this.maxLines = maxLines;
  }

  info(object: object, message: string): void {
    this.write('info', object, message);
  }

  warn(object: object, message: string): void {
    this.write('warn', object, message);
  }

  error(object: object, message: string): void {
    this.write('error', object, message);
  }

  private write(level: keyof ConnectionLogger, object: object, message: string): void {
    if (this.written > this.maxLines) return;
    this.written++;
    this.logger ??= this.parent.child(this.bindings);
    if (this.written <= this.maxLines) this.logger[level](object, message);
    else this.logger.info({ maxLines: this.maxLines }, 'further log lines of this connection are suppressed');
  }
}

export function boundedLogger(
  parent: ParentLogger,
  bindings: Record<string, unknown>,
  maxLines = MAX_LOG_LINES_PER_CONNECTION,
): ConnectionLogger {
  return new BoundedLogger(parent, bindings, maxLines);
}
