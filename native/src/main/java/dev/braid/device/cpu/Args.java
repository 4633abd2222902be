package dev.braid.device.cpu;

/** The arrays and element offsets of one launch's arguments on the CPU, in kernel order. */
record Args(float[][] arrays, int[] offsets) {
  float[] array(int i) {
    return arrays[i];
  }

  int offset(int i) {
    return offsets[i];
  }

  /** Index of the first output: the last argument for every kernel in the set. */
  int last() {
    return arrays.length - 1;
  }
}
