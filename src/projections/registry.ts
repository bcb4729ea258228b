// Every read model the service builds. A new one is a folder under src/projections that exports a
// Projection (projection.ts), and one line here: the runner, the status endpoint, /readyz and the CLI
// take it from this list.
import { chatProjection } from './chat/chatProjection.ts';
import type { Projection } from './projection.ts';
import { safetyProjection } from './safety/safetyProjection.ts';
import { searchProjection } from './search/searchProjection.ts';

export const PROJECTIONS: readonly Projection[] = [chatProjection, safetyProjection, searchProjection];

export function projectionNamed(name: string): Projection | undefined {
  return PROJECTIONS.find((projection) => projection.name === name);
}
