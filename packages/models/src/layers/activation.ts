/** The activations a layer can fuse into its matmul or convolution. */
export type Activation = 'linear' | 'relu';
