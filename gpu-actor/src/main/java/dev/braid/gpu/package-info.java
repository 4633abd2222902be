/**
 * The per-GPU actor and what it owns. The pure decision logic lives in sub-packages, free of Pekko
 * and of devices: {@code sched} (the {@code SpaceTimeScheduler} and its policies: time-only,
 * space-only, space-time and the fifo baseline), {@code batch} (the per-model
 * {@code DynamicBatcher}) and {@code cost} (the {@code CostModel} of per-op latencies). The actor
 * that connects them to a device comes with the scheduler issue.
 */
package dev.braid.gpu;
