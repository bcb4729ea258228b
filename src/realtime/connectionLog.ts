// What one connection may write to the log. Every refused frame, failed authentication or socket error is
// logged (at info: it is the client's doing), but a client that sends a thousand bad frames must not write
// a thousand lines: after the first few, one line says the rest are suppressed.

export type ConnectionLogger = {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
};

/** Log lines one connection may write before the rest are suppressed. */
export const MAX_LOG_LINES_PER_CONNECTION = 10;

export function boundedLogger(
  logger: ConnectionLogger,
  maxLines = MAX_LOG_LINES_PER_CONNECTION,
): ConnectionLogger {
  let written = 0;
  const at =
    (level: keyof ConnectionLogger) =>
    (object: object, message: string): void => {
      if (written < maxLines) {
        written++;
        logger[level](object, message);
      } else if (written === maxLines) {
        written++;
        logger.info({ maxLines }, 'further log lines of this connection are suppressed');
      }
    };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}
