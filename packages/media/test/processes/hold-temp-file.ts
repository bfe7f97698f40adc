// Starts an atomic write whose producer never finishes, says so, and waits to be killed.
import { writeFileAtomic } from '@mtl/common';

setInterval(() => {}, 1000); // stay alive until killed
async function* endless() {
  yield new Uint8Array(1000);
  process.send?.('writing');
  await new Promise(() => {});
}
void writeFileAtomic(process.argv[2]!, endless());
