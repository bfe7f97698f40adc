import { register } from 'node:module';

register('./deny-tfjs.mjs', import.meta.url);
