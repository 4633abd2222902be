package dev.braid.gpu.engine;

/**
 * The answer to {@link GpuEngine#unload}, given once the model's weights are freed.
 *
 * @param wasLoaded false when no model of that name was loaded (nothing happened)
 * @param requestsFailed requests of the model answered {@link InferError#UNLOADED}
 */
public record Unloaded(String model, boolean wasLoaded, int requestsFailed) {}
