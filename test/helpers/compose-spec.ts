/** The Compose specification's JSON schema (test/fixtures/compose-spec/, see its README), compiled with ajv. */
import { readFileSync } from 'node:fs';
import { Ajv2019 } from 'ajv/dist/2019.js';

const schema = JSON.parse(readFileSync(new URL('../fixtures/compose-spec/compose-spec.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2019({ strict: false, allErrors: true });
// The schema still carries draft-04 "id" annotations; in draft 2019-09 they mean nothing, and ajv refuses them as keywords.
ajv.removeKeyword('id');
// compose-go's checker for "expose": a port or range with an optional protocol (8080, 8000-8010/tcp).
ajv.addFormat('expose', /^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/);

/** Validates a parsed compose file; its `errors` say what is wrong. */
export const validateCompose = ajv.compile(schema);
