// Smoothing of displayed series, as TensorBoard does it.

/**
 * The exponential moving average TensorBoard draws, with weight in [0, 1)
 * (0 = none) and TensorBoard's debiasing so the start is not pulled towards
 * zero. Non-finite values pass through and do not enter the average. The
 * same definition as statstore.SmoothEMA in Go.
 */
export function smoothEMA(values, weight) {
  const out = new Array(values.length);
  if (!(weight > 0 && weight < 1)) {
    for (let i = 0; i < values.length; i++) out[i] = values[i];
    return out;
  }
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}
