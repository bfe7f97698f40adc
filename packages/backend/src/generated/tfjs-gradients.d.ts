import type { GradConfig } from '@tensorflow/tfjs-core';
export declare const gradientConfigs: GradConfig[];
