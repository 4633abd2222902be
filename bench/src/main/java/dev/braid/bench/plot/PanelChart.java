package dev.braid.bench.plot;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A PNG of one or more x-y panels laid out in a grid under a common title: what every benchmark
 * draws (GFLOP/s against R per approach for Table 1; throughput and p99 against the number of
 * models per policy for the policy benchmark). Panels are XChart line charts drawn headless, so
 * it runs on machines without a display.
 *
 * <p>Usage: build {@link Panel}s of {@link Series} and call {@link #writePng}.
 */
public final class PanelChart {
  /** Pixels of one panel: wide enough for a legend of three or four series beside the plot. */
  private static final int PANEL_WIDTH_PX = 640;

  private static final int PANEL_HEIGHT_PX = 420;

  /** Height of the band holding the common title. */
  private static final int TITLE_HEIGHT_PX = 40;

  static {
    // AWT reads this once, on its first use: set it before any chart class touches AWT.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private PanelChart() {}

  /**
   * One curve: y against x, as a line with markers, or as markers alone ({@code markersOnly}, for
   * reference points such as a paper's published figures); {@code color} null takes the next
   * colour of XChart's palette, a colour ties series together (a measurement and its reference).
   */
  public record Series(String name, double[] x, double[] y, boolean markersOnly, Color color) {
    public Series {
      Objects.requireNonNull(name, "name");
      x = x.clone();
      y = y.clone();
      if (x.length != y.length) {
        throw new IllegalArgumentException("series '" + name + "': " + x.length + " x values but " + y.length
            + " y values");
      }
    }

    /** A line through the points. */
    public static Series line(String name, double[] x, double[] y) {
      return new Series(name, x, y, false, null);
    }

    /** Markers only. */
    public static Series points(String name, double[] x, double[] y) {
      return new Series(name, x, y, true, null);
    }

    /** This series drawn in {@code c}. */
    public Series withColor(Color c) {
      return new Series(name, x, y, markersOnly, c);
    }

    @Override
    public double[] x() {
      return x.clone();
    }

    @Override
    public double[] y() {
      return y.clone();
    }
  }

  /**
   * One chart of the grid.
   *
   * @param logX whether the x axis is logarithmic (then every x must be > 0)
   * @param logY whether the y axis is logarithmic (then every y must be > 0)
   */
  public record Panel(String title, String xTitle, String yTitle, boolean logX, boolean logY, List<Series> series) {
    public Panel {
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(xTitle, "xTitle");
      Objects.requireNonNull(yTitle, "yTitle");
      series = List.copyOf(series);
      if (series.stream().allMatch(s -> s.x.length == 0)) {
        throw new IllegalArgumentException("panel '" + title + "' has no points");
      }
      for (Series s : series) {
        for (int i = 0; i < s.x.length; i++) {
          if (!Double.isFinite(s.x[i]) || !Double.isFinite(s.y[i]) || (logX && s.x[i] <= 0) || (logY && s.y[i] <= 0)) {
            throw new IllegalArgumentException("panel '" + title + "', series '" + s.name + "': point (" + s.x[i]
                + ", " + s.y[i] + ") cannot be drawn" + (logX || logY ? " on a logarithmic axis" : ""));
          }
        }
      }
    }

    /** A panel with linear axes. */
    public static Panel linear(String title, String xTitle, String yTitle, List<Series> series) {
      return new Panel(title, xTitle, yTitle, false, false, series);
    }
  }

  /**
   * Draws {@code panels} row by row, {@code columns} to a row, under {@code title}, and writes
   * the PNG to {@code file} (replacing it).
   */
  public static void writePng(Path file, String title, List<Panel> panels, int columns) throws IOException {
    ImageIO.write(render(title, panels, columns), "png", file.toFile());
    if (!Files.isRegularFile(file)) {
      throw new IOException("no PNG was written to " + file);
    }
  }

  /**
   * {@link #writePng}, or, on a host where AWT cannot draw text (no system fonts or no fontconfig,
   * as on a bare GPU host: the JDK throws "Fontconfig head is null" or "No fonts found"), no file.
   * Returns the one line to print either way: "wrote FILE" or "skipped FILE: why". The PNG is a
   * view of the JSON written beside it, so a host without fonts loses no result.
   */
  public static String writePngOrSkip(Path file, String title, List<Panel> panels, int columns) throws IOException {
    BufferedImage image;
    try {
      image = render(title, panels, columns);
    } catch (RuntimeException | Error e) {
      if (e instanceof VirtualMachineError && !(e instanceof InternalError)) {
        throw e; // out of memory or stack: not a missing font
      }
      String why = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      return "skipped " + file + ": AWT cannot draw on this host (" + e.getClass().getSimpleName() + ": " + why
          + "); the JSON holds the same figures";
    }
    ImageIO.write(image, "png", file.toFile());
    if (!Files.isRegularFile(file)) {
      throw new IOException("no PNG was written to " + file);
    }
    return "wrote " + file;
  }

  /** The image {@link #writePng} writes. */
  public static BufferedImage render(String title, List<Panel> panels, int columns) {
    if (panels.isEmpty()) {
      throw new IllegalArgumentException("a chart needs at least one panel");
    }
    if (columns < 1) {
      throw new IllegalArgumentException("columns must be >= 1, got " + columns);
    }
    int cols = Math.min(columns, panels.size());
    int rows = (panels.size() + cols - 1) / cols;
    BufferedImage image = new BufferedImage(cols * PANEL_WIDTH_PX, TITLE_HEIGHT_PX + rows * PANEL_HEIGHT_PX,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, image.getWidth(), image.getHeight());
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      int textWidth = g.getFontMetrics().stringWidth(title);
      g.drawString(title, Math.max(8, (image.getWidth() - textWidth) / 2), 26);
      for (int i = 0; i < panels.size(); i++) {
        BufferedImage panel = BitmapEncoder.getBufferedImage(chart(panels.get(i)));
        g.drawImage(panel, (i % cols) * PANEL_WIDTH_PX, TITLE_HEIGHT_PX + (i / cols) * PANEL_HEIGHT_PX, null);
      }
    } finally {
      g.dispose();
    }
    return image;
  }

  private static XYChart chart(Panel panel) {
    XYChart chart = new XYChartBuilder().width(PANEL_WIDTH_PX).height(PANEL_HEIGHT_PX).title(panel.title())
        .xAxisTitle(panel.xTitle()).yAxisTitle(panel.yTitle()).build();
    XYStyler styler = chart.getStyler();
    styler.setXAxisLogarithmic(panel.logX());
    styler.setYAxisLogarithmic(panel.logY());
    // Up to three names fit in one row under the plot; more go in a column beside it.
    boolean fewSeries = panel.series().size() <= 3;
    styler.setLegendPosition(fewSeries ? Styler.LegendPosition.OutsideS : Styler.LegendPosition.OutsideE);
    styler.setLegendLayout(fewSeries ? Styler.LegendLayout.Horizontal : Styler.LegendLayout.Vertical);
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotGridLinesVisible(true);
    styler.setMarkerSize(6);
    for (Series s : panel.series()) {
      if (s.x.length == 0) {
        continue;
      }
      XYSeries xy = chart.addSeries(s.name(), s.x, s.y);
      if (s.markersOnly()) {
        xy.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        xy.setMarker(SeriesMarkers.DIAMOND);
      }
      if (s.color() != null) {
        xy.setLineColor(s.color());
        xy.setMarkerColor(s.color());
      }
    }
    return chart;
  }
}
