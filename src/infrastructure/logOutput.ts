// Where log lines go: JSON lines for machines (a file, a pipe, a log collector), readable lines when a
// person watches the terminal. pino-pretty is a development dependency: an image without it (npm ci
// --omit=dev) logs JSON even on a terminal.
import { isatty } from 'node:tty';

/** pino options for stdout: pino-pretty's transport on a terminal (when installed), else nothing. */
export function logOutputOptions(): { transport?: { target: string; options: object } } {
  if (!isatty(1)) return {};
  try {
    import.meta.resolve('pino-pretty');
  } catch {
    return {};
  }
  return {
    transport: {
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
    },
  };
}
