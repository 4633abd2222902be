/**
 * Braid's wire protocols: the Open Inference Protocol (KServe v2) gRPC service that clients call
 * ({@code grpc_service.proto}, generated into {@code dev.braid.protocol.grpc}), the messages
 * cluster nodes exchange ({@code dev.braid.protocol.cluster}, all {@link
 * dev.braid.protocol.WireMessage}s), and the Kryo serializer that carries them ({@code
 * dev.braid.protocol.serialization}).
 */
package dev.braid.protocol;
