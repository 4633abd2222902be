package dev.braid.conformance;

/** What one conformance case came to. */
enum Verdict {
  /** Every output of every data set within tolerance. */
  PASS,
  /** Braid declined the model or its inputs with an error naming why: a missing feature, not a defect. */
  REFUSED,
  /** Braid ran the model and answered differently from ONNX's expected outputs: a defect. */
  WRONG,
  /** An exception of a type no refusal uses (a bug in Braid or in this harness): a defect. */
  ERROR
}
