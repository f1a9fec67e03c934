// Long cross-backend soak: `npm run fuzz -- --ops 10000000 --seed 7` runs
// test/tree.cross.test.ts with that many operations (wasm, ts and the model in lockstep).
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const ops = Number(option('ops', 1_000_000));
const seed = Number(option('seed', Date.now() % 0xffffffff));
if (!Number.isSafeInteger(ops) || ops < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- [--ops N] [--seed N]');
  process.exit(2);
}
console.log(`fuzz: ${ops.toLocaleString('en')} ops, seed ${seed}`);
const result = spawnSync('npx', ['vitest', 'run', 'test/tree.cross.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, MAPLE_FUZZ_OPS: String(ops), MAPLE_SEED: String(seed) },
});
process.exit(result.status ?? 1);
