package dev.braid.bench.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.braid.bench.plot.PanelChart.Panel;
import dev.braid.bench.plot.PanelChart.Series;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PanelChartTest {
  private static Panel panel(String title) {
    return Panel.linear(title, "models", "requests/s",
        List.of(Series.line("a", new double[] {1, 2, 4}, new double[] {10, 18, 30})));
  }

  @Test
  void panelsAreLaidOutInAGridOfTheGivenColumns(@TempDir Path dir) throws Exception {
    BufferedImage three = PanelChart.render("t", List.of(panel("p1"), panel("p2"), panel("p3")), 2);
    BufferedImage one = PanelChart.render("t", List.of(panel("p1")), 2);
    assertEquals(2 * one.getWidth(), three.getWidth(), "two columns");
    assertTrue(three.getHeight() > 1.9 * (one.getHeight() - 40), "two rows");

    Path png = dir.resolve("c.png");
    PanelChart.writePng(png, "t", List.of(panel("p1"), panel("p2")), 1);
    BufferedImage read = ImageIO.read(png.toFile());
    assertEquals(one.getWidth(), read.getWidth());
    assertTrue(Files.size(png) > 5_000, "a chart, not a blank image: " + Files.size(png) + " bytes");
  }

  @Test
  void seriesOfUnequalLengthsAreRejectedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Series.line("p99", new double[] {1, 2}, new double[] {3}));
    assertTrue(e.getMessage().contains("p99"), e.getMessage());
  }

  @Test
  void aNonPositivePointOnALogAxisIsRejected() {
    Series s = Series.line("s", new double[] {1, 2}, new double[] {0, 5});
    assertThrows(IllegalArgumentException.class, () -> new Panel("log", "x", "y", false, true, List.of(s)));
    Series nan = Series.line("s", new double[] {1, 2}, new double[] {Double.NaN, 5});
    assertThrows(IllegalArgumentException.class, () -> Panel.linear("nan", "x", "y", List.of(nan)));
  }

  @Test
  void aChartNeedsPanelsAndPanelsNeedPoints() {
    assertThrows(IllegalArgumentException.class, () -> PanelChart.render("t", List.of(), 1));
    assertThrows(IllegalArgumentException.class, () -> PanelChart.render("t", List.of(panel("p")), 0));
    assertThrows(IllegalArgumentException.class,
        () -> Panel.linear("empty", "x", "y", List.of(Series.line("s", new double[0], new double[0]))));
  }
}
