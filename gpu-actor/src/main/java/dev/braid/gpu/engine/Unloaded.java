package dev.braid.gpu.engine;

import dev.braid.protocol.cluster.FailureReason;

/**
 * The answer to {@link GpuEngine#unload}, given once the model's weights are freed.
 *
 * @param wasLoaded false when no model of that name was loaded (nothing happened)
 * @param requestsFailed requests of the model answered {@link FailureReason#UNLOADED}
 */
public record Unloaded(String model, boolean wasLoaded, int requestsFailed) {}
