package dev.braid.bench.table1;

/** The three ways the seed paper's Table 1 runs R same-shaped SGEMMs from R models on one GPU. */
public enum Approach {
  /** One stream, R launches one after another: the GPU serves one model's kernel at a time. */
  TIME_ONLY("time-only"),
  /** R streams, one launch each, all issued before waiting: the models share SMs, unfused. */
  SPACE_ONLY("space-only"),
  /** One grouped launch (a super-kernel) over the R problems. */
  SPACE_TIME("space-time");

  private final String label;

  Approach(String label) {
    this.label = label;
  }

  /** The name the table, the JSON and the paper use. */
  public String label() {
    return label;
  }
}
