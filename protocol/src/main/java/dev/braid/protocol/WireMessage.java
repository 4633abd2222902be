package dev.braid.protocol;

/**
 * Marker for every message that crosses between cluster nodes. {@code reference.conf} binds it to
 * {@link dev.braid.protocol.serialization.BraidKryoSerializer}; a class implementing it must also
 * be listed in {@link dev.braid.protocol.serialization.WireRegistry}, or serializing it fails with
 * an error that names it.
 */
public interface WireMessage {}
