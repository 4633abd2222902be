package dev.braid.protocol.serialization.internal;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.serializers.ImmutableCollectionsSerializers;
import dev.braid.model.Shape;
import dev.braid.model.Tensor;
import dev.braid.protocol.serialization.WireRegistry;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * A Kryo configured from {@link WireRegistry}: registration required, no reference tracking
 * (wire messages are trees, and tracking costs a map lookup per object), and every typed {@link
 * ActorRef} implementation written under the registry's {@code ActorRef} id. Not thread-safe, as
 * no Kryo is; the serializer keeps one per thread.
 */
public final class WireKryo extends Kryo {
  private final Registration actorRefRegistration;

  public WireKryo(ActorRefResolver resolver) {
    setRegistrationRequired(true);
    setReferences(false);
    ImmutableCollectionsSerializers.addDefaultSerializers(this);
    Registration actorRef = null;
    for (Map.Entry<Integer, Class<?>> e : WireRegistry.classesById().entrySet()) {
      Class<?> type = e.getValue();
      int id = e.getKey();
      if (type == Tensor.class) {
        register(type, new TensorSerializer(), id);
      } else if (type == Shape.class) {
        register(type, new ShapeSerializer(), id);
      } else if (type == ActorRef.class) {
        actorRef = register(type, new TypedActorRefSerializer(resolver), id);
      } else {
        // Records get Kryo's RecordSerializer, enums its EnumSerializer, the JDK types their
        // default serializers: each chosen by Kryo from the class.
        register(type, id);
      }
    }
    if (actorRef == null) {
      throw new IllegalStateException("WireRegistry lacks " + ActorRef.class.getName());
    }
    this.actorRefRegistration = actorRef;
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Registration getRegistration(Class type) {
    // The concrete classes behind typed ActorRef are Pekko internals (ActorRefAdapter, local and
    // remote refs); all of them travel as a path, under the interface's id.
    if (type != ActorRef.class && ActorRef.class.isAssignableFrom(type)) {
      return actorRefRegistration;
    }
    return super.getRegistration(type);
  }
}
