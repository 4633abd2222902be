package dev.braid.bench.timeline;

import dev.braid.device.trace.SimTimeline;
import dev.braid.device.trace.TraceRecorder;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * A PNG of the same window of several device timelines, one panel each, stacked: per panel the
 * host launch path and each stream as a row of horizontal bars (one per launch or copy, coloured
 * by kernel family; a super-kernel outlined in black and labelled with its number of ops), and
 * under them the SM occupancy counter (resident blocks) where the trace has it. Drawn with Java2D,
 * headless, so it runs on machines without a display.
 *
 * <p>Pure drawing: it reads {@link TraceRecorder.Event}s and writes a file; the window is the
 * caller's, in the traces' own time (nanoseconds from each trace's time 0).
 */
public final class TimelineChart {
  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private static final int WIDTH_PX = 1600;
  private static final int LABEL_PX = 150;
  private static final int RIGHT_PX = 24;
  private static final int TITLE_PX = 44;
  private static final int HEADER_PX = 30;
  private static final int ROW_PX = 26;
  private static final int BAR_PX = 18;
  private static final int COUNTER_PX = 64;
  private static final int AXIS_PX = 30;
  private static final int LEGEND_PX = 56;

  /**
   * Kernel families in order of first appearance: Tableau 10 without its grey (which copies and
   * host calls use), then two of ColorBrewer's Dark2; legible on white.
   */
  private static final Color[] PALETTE = {
    new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
    new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0xbcbd22), new Color(0x1b9e77),
    new Color(0xa6761d), new Color(0x000080),
  };

  private static final Color HOST = new Color(0x555555);
  private static final Color COPY = new Color(0xbbbbbb);

  /**
   * One panel: a timeline's events under a title.
   *
   * @param title e.g. the policy
   * @param events the events of one device (one process of a trace)
   */
  public record Panel(String title, List<TraceRecorder.Event> events) {
    public Panel {
      Objects.requireNonNull(title, "title");
      events = List.copyOf(events);
    }
  }

  private TimelineChart() {}

  /**
   * Draws {@code [fromNanos, fromNanos + windowNanos)} of every panel to {@code file}; throws
   * {@link IllegalArgumentException} naming the panel when a timeline has no launch in the window
   * (e.g. the trace was truncated before it).
   */
  public static void writePng(Path file, String title, List<Panel> panels, long fromNanos, long windowNanos)
      throws IOException {
    if (windowNanos <= 0) {
      throw new IllegalArgumentException("window: expected > 0 ns, got " + windowNanos);
    }
    long toNanos = fromNanos + windowNanos;
    List<List<Integer>> tracksPerPanel = new ArrayList<>();
    Map<String, Color> colours = new LinkedHashMap<>();
    long maxBlocks = 1;
    int height = TITLE_PX + LEGEND_PX;
    for (Panel p : panels) {
      TreeSet<Integer> tracks = new TreeSet<>();
      tracks.add(TraceRecorder.HOST_TRACK);
      boolean any = false;
      boolean counter = false;
      for (TraceRecorder.Event e : p.events()) {
        if (e.phase() == 'C') {
          if (e.startNanos() < toNanos && e.args().get("resident blocks") instanceof Number n) {
            counter = true;
            if (e.startNanos() >= fromNanos) {
              maxBlocks = Math.max(maxBlocks, n.longValue());
            }
          }
          continue;
        }
        if (e.startNanos() < toNanos && e.endNanos() > fromNanos) {
          tracks.add(e.track());
          if (e.track() != TraceRecorder.HOST_TRACK) {
            any = true;
            if (!e.category().equals("copy")) {
              colours.computeIfAbsent(family(e.name()), f -> PALETTE[colours.size() % PALETTE.length]);
            }
          }
        }
      }
      if (!any) {
        throw new IllegalArgumentException(p.title() + ": no launch between " + ms(fromNanos) + " and "
            + ms(toNanos) + " ms of its trace (is the window past the end, or the trace truncated before it?)");
      }
      tracksPerPanel.add(List.copyOf(tracks));
      height += HEADER_PX + tracks.size() * ROW_PX + (counter ? COUNTER_PX : 0) + AXIS_PX;
    }

    BufferedImage img = new BufferedImage(WIDTH_PX, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH_PX, height);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
      g.drawString(title, 12, 28);
      int y = TITLE_PX;
      for (int i = 0; i < panels.size(); i++) {
        y = drawPanel(g, panels.get(i), tracksPerPanel.get(i), colours, maxBlocks, fromNanos, toNanos, y);
      }
      drawLegend(g, colours, y);
    } finally {
      g.dispose();
    }
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    ImageIO.write(img, "png", file.toFile());
  }

  /**
   * The start of the {@code windowNanos} window, at a multiple of a quarter window, in which the
   * most super-kernels of {@code events} start (ties: the most launches, then the earliest): where
   * a reader sees the fusion, if there is any to see.
   */
  public static long busiestWindow(List<TraceRecorder.Event> events, long windowNanos) {
    if (windowNanos <= 0) {
      throw new IllegalArgumentException("window: expected > 0 ns, got " + windowNanos);
    }
    long step = Math.max(1, windowNanos / 4);
    long last = 0;
    for (TraceRecorder.Event e : events) {
      last = Math.max(last, e.startNanos());
    }
    int buckets = (int) Math.min(Integer.MAX_VALUE - 8, last / step + 1);
    long[] groups = new long[buckets];
    long[] launches = new long[buckets];
    for (TraceRecorder.Event e : events) {
      if (e.phase() == 'X' && e.track() != TraceRecorder.HOST_TRACK && !e.category().equals("copy")
          && e.startNanos() >= 0) {
        int b = (int) Math.min(buckets - 1, e.startNanos() / step);
        launches[b]++;
        if (members(e.name()) > 1) {
          groups[b]++;
        }
      }
    }
    int per = (int) Math.max(1, windowNanos / step);
    long bestGroups = -1;
    long bestLaunches = -1;
    int best = 0;
    for (int b = 0; b < buckets; b++) {
      long g = 0;
      long l = 0;
      for (int k = b; k < Math.min(buckets, b + per); k++) {
        g += groups[k];
        l += launches[k];
      }
      if (g > bestGroups || (g == bestGroups && l > bestLaunches)) {
        bestGroups = g;
        bestLaunches = l;
        best = b;
      }
    }
    return best * step;
  }

  private static int drawPanel(Graphics2D g, Panel p, List<Integer> tracks, Map<String, Color> colours,
      long maxBlocks, long from, long to, int top) {
    int plotWidth = WIDTH_PX - LABEL_PX - RIGHT_PX;
    // header: what the window holds
    int launches = 0;
    int groups = 0;
    int groupOps = 0;
    for (TraceRecorder.Event e : p.events()) {
      if (e.phase() == 'X' && e.track() != TraceRecorder.HOST_TRACK && !e.category().equals("copy")
          && e.startNanos() >= from && e.startNanos() < to) {
        launches++;
        int n = members(e.name());
        if (n > 1) {
          groups++;
          groupOps += n;
        }
      }
    }
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
    g.drawString(String.format(Locale.ROOT, "%s: %d launches start in the window, %d of them super-kernels%s",
        p.title(), launches, groups, groups > 0 ? String.format(Locale.ROOT, " (%.1f ops each)",
            (double) groupOps / groups) : ""), 12, top + 21);
    int y = top + HEADER_PX;
    Map<Integer, Integer> rowOf = new LinkedHashMap<>();
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int t : tracks) {
      rowOf.put(t, y);
      g.setColor(rowOf.size() % 2 == 0 ? new Color(0xf4f4f4) : Color.WHITE);
      g.fillRect(LABEL_PX, y, plotWidth, ROW_PX);
      g.setColor(Color.DARK_GRAY);
      g.drawString(t == TraceRecorder.HOST_TRACK ? "host launch path" : "stream " + (t - 1), 12, y + 17);
      y += ROW_PX;
    }
    // bars
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 11));
    FontMetrics fm = g.getFontMetrics();
    List<long[]> counter = new ArrayList<>();
    long before = -1;
    for (TraceRecorder.Event e : p.events()) {
      if (e.phase() == 'C') {
        if (e.args().get("resident blocks") instanceof Number n) {
          if (e.startNanos() < from) {
            before = n.longValue();
          } else if (e.startNanos() < to) {
            counter.add(new long[] {e.startNanos(), n.longValue()});
          }
        }
        continue;
      }
      Integer row = rowOf.get(e.track());
      if (row == null || e.startNanos() >= to || e.endNanos() <= from) {
        continue;
      }
      int x0 = x(Math.max(e.startNanos(), from), from, to, plotWidth);
      int x1 = Math.max(x0 + 1, x(Math.min(e.endNanos(), to), from, to, plotWidth));
      int by = row + (ROW_PX - BAR_PX) / 2;
      Color c = e.track() == TraceRecorder.HOST_TRACK ? HOST
          : e.category().equals("copy") ? COPY : colours.get(family(e.name()));
      g.setColor(c);
      g.fillRect(x0, by, x1 - x0, BAR_PX);
      int n = members(e.name());
      if (n > 1) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(2f));
        g.drawRect(x0, by, x1 - x0, BAR_PX);
        g.setStroke(new BasicStroke(1f));
        String label = "x" + n;
        if (fm.stringWidth(label) + 4 <= x1 - x0) {
          g.setColor(Color.WHITE);
          g.drawString(label, x0 + (x1 - x0 - fm.stringWidth(label)) / 2, by + BAR_PX - 5);
        }
      } else if (x1 - x0 > 2 && e.track() != TraceRecorder.HOST_TRACK) {
        g.setColor(c.darker());
        g.drawRect(x0, by, x1 - x0, BAR_PX);
      }
    }
    // occupancy
    if (before >= 0 || !counter.isEmpty()) {
      int base = y + COUNTER_PX - 6;
      int h = COUNTER_PX - 14;
      g.setColor(new Color(0xeef3f8));
      g.fillRect(LABEL_PX, y, plotWidth, COUNTER_PX);
      g.setColor(Color.DARK_GRAY);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString(SimTimeline.OCCUPANCY, 12, y + 20);
      g.drawString("resident blocks", 12, y + 35);
      g.drawString("(0.." + maxBlocks + ")", 12, y + 50);
      g.setColor(new Color(0x4a78a8));
      long value = Math.max(0, before);
      long at = from;
      for (long[] s : counter) {
        fillStep(g, at, s[0], value, maxBlocks, from, to, plotWidth, base, h);
        at = s[0];
        value = s[1];
      }
      fillStep(g, at, to, value, maxBlocks, from, to, plotWidth, base, h);
      y += COUNTER_PX;
    }
    // axis
    g.setColor(Color.BLACK);
    g.drawLine(LABEL_PX, y, LABEL_PX + plotWidth, y);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    for (int k = 0; k <= 8; k++) {
      long t = from + (to - from) * k / 8;
      int x = x(t, from, to, plotWidth);
      g.drawLine(x, y, x, y + 5);
      String s = String.format(Locale.ROOT, "%.3f ms", t / 1e6);
      int w = g.getFontMetrics().stringWidth(s);
      g.drawString(s, Math.min(Math.max(x - w / 2, LABEL_PX), LABEL_PX + plotWidth - w), y + 19);
    }
    return y + AXIS_PX;
  }

  private static void fillStep(Graphics2D g, long t0, long t1, long value, long max, long from, long to,
      int plotWidth, int base, int h) {
    if (t1 <= t0) {
      return;
    }
    int x0 = x(t0, from, to, plotWidth);
    int x1 = Math.max(x0 + 1, x(t1, from, to, plotWidth));
    int bh = (int) Math.round((double) h * value / max);
    g.fillRect(x0, base - bh, x1 - x0, bh);
  }

  private static void drawLegend(Graphics2D g, Map<String, Color> colours, int top) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    FontMetrics fm = g.getFontMetrics();
    int x = 12;
    int y = top + 24;
    List<Map.Entry<String, Color>> entries = new ArrayList<>(colours.entrySet());
    entries.add(Map.entry("copy", COPY));
    entries.add(Map.entry("host API call", HOST));
    for (Map.Entry<String, Color> e : entries) {
      g.setColor(e.getValue());
      g.fillRect(x, y - 12, 22, 14);
      g.setColor(Color.BLACK);
      g.drawString(e.getKey(), x + 28, y);
      x += 28 + fm.stringWidth(e.getKey()) + 22;
    }
    g.setStroke(new BasicStroke(2f));
    g.drawRect(x, y - 12, 30, 14);
    g.setStroke(new BasicStroke(1f));
    g.drawString("super-kernel of N ops (xN)", x + 38, y);
  }

  private static int x(long t, long from, long to, int plotWidth) {
    return LABEL_PX + (int) Math.round((double) (t - from) * plotWidth / (to - from));
  }

  /** {@code Gemm x4} -> {@code Gemm}. */
  static String family(String name) {
    int space = name.indexOf(" x");
    return space > 0 ? name.substring(0, space) : name;
  }

  /** {@code Gemm x4} -> 4; {@code Gemm} -> 1. */
  static int members(String name) {
    int space = name.lastIndexOf(" x");
    if (space < 0) {
      return 1;
    }
    try {
      return Integer.parseInt(name.substring(space + 2));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }
}
