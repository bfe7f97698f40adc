// Starts an atomic write whose producer never finishes, says so, and waits to be killed.
import { writeFileAtomic } from '../../src/index.js';

const target = process.argv[2]!;
setInterval(() => {}, 1000); // stay alive until killed
async function* endless() {
  yield 'first chunk';
  process.send?.('writing');
  await new Promise(() => {});
}
void writeFileAtomic(target, endless());
