package dev.braid.coordinator.frontend;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Just enough of an HTTP/2 client (RFC 9113, cleartext with prior knowledge) to do what grpc-java's
 * own client will not: ping as often as a test likes (grpc-java raises any keepalive interval to
 * 10 s). It sends frames as asked, HEADERS as HPACK literals without indexing (no header table, no
 * Huffman), and while reading acknowledges the server's SETTINGS and PINGs as a real client does.
 * Not thread-safe: one test thread drives it.
 */
final class RawHttp2Client implements AutoCloseable {
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int RST_STREAM = 0x3;
  static final int SETTINGS = 0x4;
  static final int PING = 0x6;
  static final int GOAWAY = 0x7;
  static final int FLAG_END_STREAM = 0x1;
  static final int FLAG_ACK = 0x1;
  static final int FLAG_END_HEADERS = 0x4;
  /** HTTP/2's ENHANCE_YOUR_CALM error code. */
  static final int ENHANCE_YOUR_CALM = 0xb;
  static final int NO_ERROR = 0x0;

  /** One frame as read. */
  record Frame(int type, int flags, int streamId, byte[] payload) {
    /** A GOAWAY's error code. */
    int goAwayError() {
      return ByteBuffer.wrap(payload, 4, 4).getInt();
    }

    /** A GOAWAY's debug data, as ASCII. */
    String goAwayDebug() {
      return new String(payload, 8, payload.length - 8, StandardCharsets.US_ASCII);
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  /** PING frames the server acknowledged (ours). */
  int pingAcks;

  private RawHttp2Client(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
  }

  /** Connects and sends the connection preface and an empty SETTINGS frame. */
  static RawHttp2Client connect(String host, int port) throws IOException {
    RawHttp2Client c = new RawHttp2Client(new Socket(host, port));
    c.out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    c.frame(SETTINGS, 0, 0, new byte[0]);
    return c;
  }

  void ping(long opaque) throws IOException {
    frame(PING, 0, 0, ByteBuffer.allocate(8).putLong(opaque).array());
  }

  /** A gRPC call's request headers on {@code stream} (odd, increasing), without END_STREAM. */
  void grpcHeaders(int stream, String fullMethodName) throws IOException {
    ByteArrayOutputStream block = new ByteArrayOutputStream();
    literal(block, ":method", "POST");
    literal(block, ":scheme", "http");
    literal(block, ":path", "/" + fullMethodName);
    literal(block, ":authority", "localhost");
    literal(block, "content-type", "application/grpc");
    literal(block, "te", "trailers");
    frame(HEADERS, FLAG_END_HEADERS, stream, block.toByteArray());
  }

  /** One gRPC message (uncompressed, length-prefixed) as a DATA frame on {@code stream}. */
  void grpcMessage(int stream, byte[] message) throws IOException {
    frame(DATA, 0, stream, ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length)
        .put(message).array());
  }

  /** Literal header field without indexing, new name (RFC 7541 6.2.2), lengths under 127. */
  private static void literal(ByteArrayOutputStream block, String name, String value) {
    byte[] n = name.getBytes(StandardCharsets.US_ASCII);
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    if (n.length > 126 || v.length > 126) {
      throw new IllegalArgumentException("header longer than a one-byte HPACK length: " + name);
    }
    block.write(0);
    block.write(n.length);
    block.writeBytes(n);
    block.write(v.length);
    block.writeBytes(v);
  }

  private void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(9);
    h.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
    h.put((byte) type).put((byte) flags).putInt(stream);
    out.write(h.array());
    out.write(payload);
    out.flush();
  }

  /**
   * Reads frames until one matches {@code wanted} (returned), the connection ends (empty), or
   * {@code timeoutMillis} pass between two frames (SocketTimeoutException). The server's SETTINGS
   * and PINGs are acknowledged on the way and counted acknowledgements of ours.
   */
  Optional<Frame> readUntil(Predicate<Frame> wanted, int timeoutMillis) throws IOException {
    socket.setSoTimeout(timeoutMillis);
    while (true) {
      Frame f;
      try {
        f = read();
      } catch (EOFException | java.net.SocketException closed) {
        return Optional.empty();
      }
      if (f.type() == SETTINGS && (f.flags() & FLAG_ACK) == 0) {
        frame(SETTINGS, FLAG_ACK, 0, new byte[0]);
      } else if (f.type() == PING && (f.flags() & FLAG_ACK) == 0) {
        frame(PING, FLAG_ACK, 0, f.payload());
      } else if (f.type() == PING) {
        pingAcks++;
      }
      if (wanted.test(f)) {
        return Optional.of(f);
      }
    }
  }

  /** Reads frames for {@code millis}, failing on none; returns the first GOAWAY if one came. */
  Optional<Frame> readFor(long millis) throws IOException {
    long until = System.nanoTime() + millis * 1_000_000;
    Optional<Frame> goAway = Optional.empty();
    while (true) {
      int left = (int) ((until - System.nanoTime()) / 1_000_000);
      if (left <= 0) {
        return goAway;
      }
      try {
        Optional<Frame> f = readUntil(fr -> true, left);
        if (f.isEmpty()) {
          throw new IOException("the server closed the connection");
        }
        if (f.get().type() == GOAWAY && goAway.isEmpty()) {
          goAway = f;
        }
      } catch (SocketTimeoutException quiet) {
        return goAway;
      }
    }
  }

  private Frame read() throws IOException {
    int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
    int type = in.readUnsignedByte();
    int flags = in.readUnsignedByte();
    int stream = in.readInt() & 0x7fffffff;
    byte[] payload = new byte[length];
    in.readFully(payload);
    return new Frame(type, flags, stream, payload);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
