// Vitest setup (vitest.config.ts): a test during which a test app answered something its OpenAPI document
// does not describe fails, with every disagreement listed (test/api/support/openApiContract.ts).
import { afterAll, afterEach } from 'vitest';
import { takeAllMismatches } from './openApiContract.ts';

function failOnMismatches(): void {
  const mismatches = takeAllMismatches();
  if (mismatches.length > 0) {
    throw new Error(`answers the OpenAPI document does not describe:\n${mismatches.join('\n')}`);
  }
}

afterEach(failOnMismatches);
afterAll(failOnMismatches);
