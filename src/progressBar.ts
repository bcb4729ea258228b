// The command line's progress line (projection rebuilds, audit exports).

/** `[██████░░░░]  62.4%  123456 events  51234 events/s` on one terminal line */
export function progressBar(progress: number, events: number, rate: number): string {
  const width = 30;
  const filled = Math.round(Math.min(1, Math.max(0, progress)) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${(progress * 100).toFixed(1).padStart(5)}%  ${events} events  ${rate} events/s`;
}
