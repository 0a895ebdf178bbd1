#!/usr/bin/env node
// The domain is pure: it never reads the clock or the environment. Biome forbids the imports
// and `process`; this check covers what Biome has no rule for: `Date.now()`, `new Date()` without arguments, and
// `performance.now()`. Time enters the domain as a parameter.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const forbidden = [
  { pattern: /\bDate\.now\(\)/, why: 'reads the clock; take `now` as a parameter' },
  { pattern: /\bnew Date\(\s*\)/, why: 'reads the clock; take `now` as a parameter' },
  { pattern: /\bperformance\.now\(\)/, why: 'reads the clock; take `now` as a parameter' },
  { pattern: /\bprocess\.env\b/, why: 'reads the environment; config is read once in lib/config' },
  { pattern: /Intl\.DateTimeFormat\(\)\.resolvedOptions\(\)\.timeZone/, why: "reads the machine's time zone" },
];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

let problems = 0;
for (const file of files('lib/domain')) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      for (const { pattern, why } of forbidden) {
        if (pattern.test(line)) {
          problems++;
          console.error(`${file}:${index + 1}: ${line.trim()}  <- ${why}`);
        }
      }
    });
}
if (problems > 0) {
  console.error(`domain purity: ${problems} problem(s)`);
  process.exit(1);
}
console.log('domain purity: ok');
