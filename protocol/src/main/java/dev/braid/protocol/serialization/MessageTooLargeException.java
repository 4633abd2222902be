package dev.braid.protocol.serialization;

/**
 * A wire message whose serialized form exceeds {@code braid.protocol.max-message-bytes}. Raised
 * when serializing (the message is not sent) and when deserializing (the bytes are dropped).
 */
public final class MessageTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String className;
  private final long sizeBytes;
  private final long maxBytes;

  public MessageTooLargeException(String direction, String className, long sizeBytes, long maxBytes) {
    super(direction + " " + className + ": " + sizeBytes + " bytes exceeds the bound of " + maxBytes
        + " bytes (braid.protocol.max-message-bytes)");
    this.className = className;
    this.sizeBytes = sizeBytes;
    this.maxBytes = maxBytes;
  }

  public String className() {
    return className;
  }

  public long sizeBytes() {
    return sizeBytes;
  }

  public long maxBytes() {
    return maxBytes;
  }
}
