/**
 * The per-GPU actor and what it owns. The pure decision logic lives in sub-packages, free of Pekko
 * and of devices: {@code sched} (the {@code SpaceTimeScheduler} and its policies: time-only,
 * space-only, space-time and the fifo baseline), {@code batch} (the per-model
 * {@code DynamicBatcher}) and {@code cost} (the {@code CostModel} of per-op latencies). {@code
 * engine} holds {@code GpuEngine}, the one piece of glue between them and a device, confined to its
 * owner's thread;
 * {@link dev.braid.gpu.GpuActor} is the Pekko shell that owns a device and an engine and speaks the
 * cluster protocol ({@code GpuWire}, {@code InferenceWire}) directly, with its parts in small
 * classes here (the table of requests in flight, the model loads, the restarts, the reports) and its
 * pure parts (failure reasons, counters) in {@code endpoint}; the policy benchmark drives the same
 * engine in virtual or real time.
 */
package dev.braid.gpu;
