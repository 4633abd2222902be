package dev.braid.coordinator.frontend.internal;

import io.grpc.Codec;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * gRPC's {@code deflate} message encoding (zlib-wrapped DEFLATE, as gRPC's C core and grpc-js write
 * it), which grpc-java does not register by default: tritonclient's
 * {@code compression_algorithm="deflate"} and grpc-js's default_compression_algorithm 1 send it,
 * and were refused UNIMPLEMENTED ("Can't find decompressor for deflate"). The inflated bytes are
 * counted against the message limit as gzip's are (grpc-java bounds any decompressor's output).
 */
public final class DeflateCodec implements Codec {
  public static final DeflateCodec INSTANCE = new DeflateCodec();

  private DeflateCodec() {}

  @Override
  public String getMessageEncoding() {
    return "deflate";
  }

  @Override
  public OutputStream compress(OutputStream os) {
    return new DeflaterOutputStream(os);
  }

  @Override
  public InputStream decompress(InputStream is) {
    return new InflaterInputStream(is);
  }
}
