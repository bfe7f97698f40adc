import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type BatchMatMulAttrs, type KernelConfig, type TensorInfo, Transpose, util } from '@tensorflow/tfjs-core';
import { WasmKernelContext } from '../wasm-kernel-context.js';

/**
 * tfjs-backend-wasm 4.22 sends BatchMatMul to XNNPACK only when neither operand is
 * transposed; with transposeA or transposeB it runs a plain loop about 25x slower
 * (512^3: 18 ms untransposed, 390-510 ms transposed, on the 2-core dev machine). Every
 * MatMul gradient asks for a transpose, so dense and LSTM layers trained 25x slower than
 * they ran. This wraps the backend's own kernel: the product is always computed
 * untransposed, after moving whichever data is smaller through the native Transpose:
 * either the operands marked transposed, or (using C = (op(B)^T op(A)^T)^T) the other
 * operands and the result. For an LSTM's dX = dZ W^T that moves dZ and dX, not W.
 * Also wraps _FusedMatMul, where only the first way keeps the bias and activation right.
 */
export function untransposedMatMul(original: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: Record<string, TensorInfo>;
    backend: BackendWasm;
    attrs: BatchMatMulAttrs & Record<string, unknown>;
  }) => {
    const { transposeA, transposeB } = args.attrs;
    if (!transposeA && !transposeB) return original.kernelFunc(args as never);
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    const ctx = new WasmKernelContext(args.backend);
    const swapLastTwo = (x: TensorInfo) => {
      const perm = [...x.shape.keys()];
      perm.push(...perm.splice(-2).reverse());
      return ctx.run(Transpose, { x }, { perm });
    };
    const size = (x: TensorInfo) => util.sizeFromShape(x.shape);
    const rows = a.shape[transposeA ? a.shape.length - 1 : a.shape.length - 2] as number;
    const cols = b.shape[transposeB ? b.shape.length - 2 : b.shape.length - 1] as number;
    const batch = Math.max(
      size(a) / (a.shape.at(-1)! * a.shape.at(-2)!),
      size(b) / (b.shape.at(-1)! * b.shape.at(-2)!),
    );
    const direct = (transposeA ? size(a) : 0) + (transposeB ? size(b) : 0);
    const swapped = (transposeA ? 0 : size(a)) + (transposeB ? 0 : size(b)) + batch * rows * cols;
    const attrs = { ...args.attrs, transposeA: false, transposeB: false };
    const multiply = (inputs: Record<string, TensorInfo>) =>
      original.kernelFunc({ inputs, backend: args.backend, attrs } as never) as TensorInfo;

    // A fused bias or activation applies to C, so C^T cannot be computed first.
    const fused = Object.keys(args.inputs).length > 2 || (args.attrs.activation ?? 'linear') !== 'linear';
    let result: TensorInfo;
    if (fused || direct <= swapped) {
      result = multiply({ ...args.inputs, a: transposeA ? swapLastTwo(a) : a, b: transposeB ? swapLastTwo(b) : b });
    } else {
      const product = multiply({ a: transposeB ? b : swapLastTwo(b), b: transposeA ? a : swapLastTwo(a) });
      ctx.adopt(product);
      result = swapLastTwo(product);
    }
    ctx.release(result);
    return result;
  };
  return { ...original, kernelFunc: kernelFunc as unknown as KernelConfig['kernelFunc'] };
}
