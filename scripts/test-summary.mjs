// Sums the .test-results.json files the jest reporter wrote and prints one closing line.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const dirs = [
  ...readdirSync(path.join(root, 'packages')).map((d) => path.join(root, 'packages', d)),
  path.join(root, 'e2e'),
  path.join(root, 'images'),
];
const total = { passed: 0, failed: 0, skipped: 0 };
const rows = [];
for (const dir of dirs) {
  const file = path.join(dir, '.test-results.json');
  if (!existsSync(file)) continue;
  const counts = JSON.parse(readFileSync(file, 'utf8'));
  rows.push(
    `  ${path.relative(root, dir).padEnd(28)} ${String(counts.passed).padStart(5)} passed ${String(counts.failed).padStart(3)} failed`,
  );
  for (const k of Object.keys(total)) total[k] += counts[k] ?? 0;
}
console.log(rows.join('\n'));
console.log(`jest: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(total.failed > 0 || total.passed === 0 ? 1 : 0);
