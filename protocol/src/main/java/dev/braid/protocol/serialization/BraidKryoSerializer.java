package dev.braid.protocol.serialization;

import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.braid.protocol.WireMessage;
import dev.braid.protocol.serialization.internal.WireKryo;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for every {@link WireMessage}, over Kryo 5 with the fixed ids of {@link
 * WireRegistry}. Bound in {@code reference.conf}.
 *
 * <p>A {@link JSerializer} without a manifest rather than a {@code SerializerWithStringManifest}:
 * Kryo writes the class's registry id (a one- or two-byte varint) at the head of the payload, so
 * a string manifest would repeat the same information at the cost of a class name per message.
 *
 * <p>Rules it enforces: only registered classes are written or read (an unregistered one fails
 * with an error naming it); a payload over {@code braid.protocol.max-message-bytes} is refused
 * with a {@link MessageTooLargeException} on either side; typed actor references travel through
 * {@link ActorRefResolver}. Pekko calls serializers from many threads and a Kryo is not
 * thread-safe, so each thread gets its own Kryo and buffers.
 */
public final class BraidKryoSerializer extends JSerializer {
  /** Pekko's serializer id for this class (ids 0-40 are Pekko's own); never change it. */
  public static final int IDENTIFIER = 7_301;

  /** A per-thread output buffer that grew past this is dropped after use, so idle threads hold little. */
  private static final int RETAINED_BUFFER_BYTES = 1 << 20;

  private final int maxMessageBytes;
  private final ThreadLocal<PerThread> perThread;

  /** Called by Pekko's serialization extension, which passes its system. */
  public BraidKryoSerializer(ExtendedActorSystem system) {
    this(ActorRefResolver.get(Adapter.toTyped(system)),
        ProtocolSettings.fromConfig(system.settings().config()));
  }

  BraidKryoSerializer(ActorRefResolver resolver, ProtocolSettings settings) {
    this.maxMessageBytes = settings.maxMessageBytes();
    this.perThread = ThreadLocal.withInitial(() -> new PerThread(new WireKryo(resolver)));
  }

  /** The bound, in bytes, on one serialized message. */
  public int maxMessageBytes() {
    return maxMessageBytes;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object message) {
    Class<?> type = message.getClass();
    if (WireRegistry.idOf(type) < 0) {
      throw new IllegalArgumentException(
          type.getName() + " is not registered in " + WireRegistry.class.getName() + "; refusing to serialize it");
    }
    PerThread state = perThread.get();
    Output output = state.output;
    output.reset();
    byte[] bytes;
    try {
      state.kryo.writeClassAndObject(output, message);
      int size = output.position();
      if (size > maxMessageBytes) {
        throw new MessageTooLargeException("serializing", type.getName(), size, maxMessageBytes);
      }
      bytes = output.toBytes();
    } catch (KryoException | IllegalArgumentException e) {
      if (e instanceof MessageTooLargeException) {
        throw e;
      }
      throw new IllegalArgumentException("cannot serialize " + type.getName() + ": " + e.getMessage(), e);
    } finally {
      if (output.getBuffer().length > RETAINED_BUFFER_BYTES) {
        state.output = PerThread.newOutput();
      }
      state.kryo.reset();
    }
    return bytes;
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    PerThread state = perThread.get();
    Input input = new Input(bytes);
    if (bytes.length > maxMessageBytes) {
      throw new MessageTooLargeException("deserializing", peekClassName(state, input), bytes.length, maxMessageBytes);
    }
    try {
      Object message = state.kryo.readClassAndObject(input);
      if (!(message instanceof WireMessage)) {
        throw new IllegalArgumentException(
            "payload holds " + (message == null ? "null" : message.getClass().getName()) + ", not a " + WireMessage.class.getName());
      }
      return message;
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot deserialize a Braid wire message: " + e.getMessage(), e);
    } finally {
      state.kryo.reset();
    }
  }

  private static String peekClassName(PerThread state, Input input) {
    try {
      Registration r = state.kryo.readClass(input);
      return r == null ? "null" : r.getType().getName();
    } catch (RuntimeException e) {
      return "an unreadable class";
    } finally {
      state.kryo.reset();
    }
  }

  private static final class PerThread {
    final WireKryo kryo;
    Output output;

    PerThread(WireKryo kryo) {
      this.kryo = kryo;
      this.output = newOutput();
    }

    static Output newOutput() {
      // 4 KiB covers a request for a small model; -1 lets it grow to what the bound check allows.
      return new Output(4096, -1);
    }
  }
}
