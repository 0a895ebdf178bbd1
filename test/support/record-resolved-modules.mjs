// Preloaded with `node --import` by tests that check which modules a process loads: appends every module URL the
// process resolves (static and dynamic imports) to the file named by WALCAT_TEST_MODULE_LOG, one a line.
import { register } from 'node:module';

const hooks = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + '\\n');
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
  data: { log: process.env.WALCAT_TEST_MODULE_LOG },
});
