/**
 * Braid's wire protocols: the Open Inference Protocol (KServe v2) gRPC service that clients call,
 * Braid's admin service, the messages cluster nodes exchange, and the Kryo serializer that
 * carries them. Filled by the cluster issue; nothing here yet.
 */
package dev.braid.protocol;
