package dev.braid.protocol.serialization.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.ImmutableSerializer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * A typed actor reference as the string {@link ActorRefResolver} makes of it (its full path with
 * the node's address), resolved back on the receiving system.
 */
@SuppressWarnings("rawtypes")
public final class TypedActorRefSerializer extends ImmutableSerializer<ActorRef> {
  private final ActorRefResolver resolver;

  public TypedActorRefSerializer(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  @Override
  public void write(Kryo kryo, Output output, ActorRef ref) {
    @SuppressWarnings("unchecked")
    String path = resolver.toSerializationFormat((ActorRef<Object>) ref);
    output.writeString(path);
  }

  @Override
  public ActorRef read(Kryo kryo, Input input, Class<? extends ActorRef> type) {
    return resolver.resolveActorRef(input.readString());
  }
}
