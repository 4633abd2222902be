package dev.braid.device.exec;

import dev.braid.model.Attributes;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Shape;

/**
 * The 2-D window geometry of a Conv or pool node, read from ONNX attributes (strides, pads,
 * dilations, auto_pad). A 1-D node (input rank 3) becomes height 1 with a 1-high kernel. The
 * output size is the graph's declared one, so ceil_mode needs no handling here.
 */
final class Window {
  int h, w, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, oh, ow;

  static Window of(Node n, Shape x, int[] kernel, Shape y) {
    Attributes at = n.attributes();
    boolean oneD = x.rank() == 3;
    int spatial = oneD ? 1 : 2;
    long[] strides = at.getInts("strides", ones(spatial));
    long[] dil = at.getInts("dilations", ones(spatial));
    long[] pads = at.getInts("pads", new long[2 * spatial]);
    if (strides.length != spatial || dil.length != spatial || pads.length != 2 * spatial) {
      throw new ModelException(n.describe() + ": strides, dilations and pads must have " + spatial + ", " + spatial
          + " and " + 2 * spatial + " entries");
    }
    Window win = new Window();
    int[] in = oneD ? new int[] {1, x.dim(2)} : new int[] {x.dim(2), x.dim(3)};
    int[] out = oneD ? new int[] {1, y.dim(2)} : new int[] {y.dim(2), y.dim(3)};
    int[] k = oneD ? new int[] {1, kernel[0]} : kernel;
    int[] s = oneD ? new int[] {1, (int) strides[0]} : new int[] {(int) strides[0], (int) strides[1]};
    int[] d = oneD ? new int[] {1, (int) dil[0]} : new int[] {(int) dil[0], (int) dil[1]};
    int[] begin = oneD ? new int[] {0, (int) pads[0]} : new int[] {(int) pads[0], (int) pads[1]};
    int[] end = oneD ? new int[] {0, (int) pads[1]} : new int[] {(int) pads[2], (int) pads[3]};
    String autoPad = at.getString("auto_pad", "NOTSET");
    if (autoPad.equals("VALID")) {
      begin = new int[2];
      end = new int[2];
    } else if (autoPad.startsWith("SAME")) {
      for (int i = 0; i < 2; i++) {
        int total = Math.max(0, (out[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1 - in[i]);
        begin[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
        end[i] = total - begin[i];
      }
    } else if (!autoPad.equals("NOTSET")) {
      throw new ModelException(n.describe() + ": unknown auto_pad '" + autoPad + "'");
    }
    win.h = in[0];
    win.w = in[1];
    win.kh = k[0];
    win.kw = k[1];
    win.sh = s[0];
    win.sw = s[1];
    win.dh = d[0];
    win.dw = d[1];
    win.pt = begin[0];
    win.pl = begin[1];
    win.pb = end[0];
    win.pr = end[1];
    win.oh = out[0];
    win.ow = out[1];
    return win;
  }

  private static long[] ones(int n) {
    long[] a = new long[n];
    java.util.Arrays.fill(a, 1);
    return a;
  }
}
