// Vitest setup (vitest.config.ts): a test during which a test app answered something its OpenAPI document
// does not describe fails, with every disagreement listed (test/api/support/openApiContract.ts). Only the
// hooks are here: a test file that imported this file would register them itself, and then a config that
// lost this setup file would go unnoticed (test/api/openapiContract.api.test.ts).
import { afterAll, afterEach } from 'vitest';
import { failOnMismatches } from './openApiContract.ts';

afterEach(failOnMismatches);
afterAll(failOnMismatches);
