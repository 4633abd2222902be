/**
 * The per-GPU actor and what it owns: the space-time scheduler with its policies (time-only,
 * space-only, space-time), the dynamic batcher, the cost model and weight residency. Filled by
 * the scheduler issue; nothing here yet.
 */
package dev.braid.gpu;
