package dev.braid.coordinator.metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scrape read back (tests only): each family's TYPE, and each sample's value by its line's
 * name and labels exactly as written ({@code name{a="x",b="y"}}). Fails on a line that is not a
 * comment, a blank or a well-formed sample, so a malformed exposition cannot pass.
 */
record Exposition(Map<String, String> types, Map<String, Double> samples) {
  private static final Pattern SAMPLE = Pattern.compile(
      "([a-zA-Z_:][a-zA-Z0-9_:]*(?:\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*\\})?) (\\S+)");
  private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (counter|gauge|histogram|summary|untyped)");

  static Exposition parse(String text) {
    Map<String, String> types = new LinkedHashMap<>();
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("# HELP ")) {
        continue;
      }
      Matcher t = TYPE.matcher(line);
      if (t.matches()) {
        if (types.put(t.group(1), t.group(2)) != null) {
          throw new AssertionError("family " + t.group(1) + " declared twice");
        }
        continue;
      }
      Matcher s = SAMPLE.matcher(line);
      if (!s.matches()) {
        throw new AssertionError("not a sample line: '" + line + "'");
      }
      String value = s.group(2);
      double v = value.equals("+Inf") ? Double.POSITIVE_INFINITY : value.equals("NaN") ? Double.NaN
          : Double.parseDouble(value);
      if (samples.put(s.group(1), v) != null) {
        throw new AssertionError("sample " + s.group(1) + " written twice");
      }
    }
    return new Exposition(types, samples);
  }

  /** The sample's value; fails naming what is there when it is missing. */
  double value(String sample) {
    Double v = samples.get(sample);
    if (v == null) {
      throw new AssertionError("no sample " + sample + "; samples of that family: " + samples.keySet().stream()
          .filter(k -> k.startsWith(sample.contains("{") ? sample.substring(0, sample.indexOf('{')) : sample)).toList());
    }
    return v;
  }
}
