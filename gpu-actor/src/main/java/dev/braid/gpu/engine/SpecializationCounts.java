package dev.braid.gpu.engine;

/**
 * The plan cache of one model that specializes on inputs whose values define shapes, as counters
 * (cumulative, so a metrics exporter can read them as they are) and gauges.
 *
 * @param held plans held now, at most {@code capacity}
 * @param capacity the most plans held ({@code braid.model.specializations})
 * @param compiles plans compiled, ever (one per distinct key seen while not held)
 * @param compileFailures keys the model could not be compiled at (each failed its request only)
 * @param evictions plans evicted to make room, ever
 * @param hits requests served by a held plan, ever
 */
public record SpecializationCounts(int held, int capacity, long compiles, long compileFailures, long evictions,
    long hits) {}
