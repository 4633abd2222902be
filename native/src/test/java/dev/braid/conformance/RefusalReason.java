package dev.braid.conformance;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Groups refusals by a short reason key ("unsupported operator Slice", "opset 0 outside 1..23",
 * ...) read from the first line of the error, so the report can count cases per missing feature.
 * A message no rule knows is keyed by itself with quoted names and numbers blanked, so similar
 * messages still fall into one group and a new kind of refusal shows up as a new key rather than
 * vanishing into "other".
 *
 * <p>Pure.
 */
final class RefusalReason {
  private RefusalReason() {}

  /** A pattern of the message and the key it gives, {@code $1} standing for its first group. */
  private record Rule(Pattern pattern, String key) {}

  private static final List<Rule> RULES = List.of(
      rule("uses operator '([^']+)'", "unsupported operator $1"),
      rule("\\(([A-Za-z]+)\\) at default-domain opset (\\d+): Braid reads", "$1 at opset $2"),
      rule("\\(([A-Za-z]+)\\): legacy form at opset (\\d+)", "legacy form of $1 at opset $2"),
      rule("default-domain opset (\\d+) is outside", "opset $1 outside Braid's range"),
      rule("is in domain '([^']*)'", "operator domain $1"),
      rule("has element type (\\w+), which Braid does not support", "element type $1"),
      rule("is not a tensor \\(sequences", "sequence, map or optional value"),
      rule("\\(([A-Za-z]+)\\) output \\d+ \\('[^']*'\\) is used, but Braid computes only the first",
          "second output of $1 used"),
      rule("\\(Dropout\\): training_mode", "Dropout in training mode"),
      rule("\\(([A-Za-z]+)\\): the ([a-z ]+?) \\(input \\d+, '[^']*'\\) must be a constant", "non-constant $2 of $1"),
      rule("\\(([A-Za-z]+)\\): input \\d+ \\('[^']*'\\) must be a constant", "non-constant input of $1"),
      rule("\\(([A-Za-z]+)\\): ([a-z ]+?) \\(input \\d+, '[^']*'\\) must be a constant", "non-constant $2 of $1"),
      rule("imports no opset for the default ONNX domain", "no default-domain opset (training operators)"),
      rule("is declared \\[[^\\]]*\\] but its test data has shape", "test data disagrees with the declared input shape"),
      rule("\\(([A-Za-z]+)\\): only \\d+-D and \\d+-D pooling", "unsupported rank of $1"),
      rule("\\(([A-Za-z]+)\\): only 1-D, 2-D and 3-D convolutions", "unsupported rank of $1"),
      rule("beyond the float32 range .* DOUBLE", "DOUBLE value beyond float32's range"),
      rule("\\(([A-Za-z]+)\\).*must be constant", "non-constant input of $1"),
      rule("\\(([A-Za-z]+)\\): \\w+ attribute '(\\w+)' is '([^']*)'; Braid implements only", "$1 $2 $3"),
      rule("\\(([A-Za-z]+)\\): .*Braid implements", "unsupported form of $1"),
      rule("\\(([A-Za-z]+)\\): Cast from \\w+ to (\\w+) is not supported", "Cast to $2"),
      rule("\\(([A-Za-z]+)\\).*(?:not supported|unsupported|is supported only|supports only|Braid supports)",
          "unsupported form of $1"),
      rule("batch size must be >= 1, received 0", "zero-size input"),
      rule("elements? of zero|zero-size|empty tensor", "zero-size tensor"),
      rule("^timeout", "timeout"));

  private static Rule rule(String regex, String key) {
    return new Rule(Pattern.compile(regex), key);
  }

  /** The key of a refusal whose first line is {@code line}. */
  static String key(String line) {
    for (Rule r : RULES) {
      Matcher m = r.pattern().matcher(line);
      if (m.find()) {
        String key = r.key();
        for (int g = 1; g <= m.groupCount(); g++) {
          key = key.replace("$" + g, m.group(g));
        }
        return key;
      }
    }
    String general = line.replaceAll("'[^']*'", "'_'").replaceAll("\\[[^\\]]*\\]", "[_]").replaceAll("\\d+", "N");
    return general.length() <= 100 ? general : general.substring(0, 97) + "...";
  }

  /** The first line of {@code e}'s message, without the case's directory (the id names it). */
  static String firstLine(Throwable e, BackendCase c) {
    String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    int nl = msg.indexOf('\n');
    String line = nl < 0 ? msg : msg.substring(0, nl);
    line = line.replace(c.model() + ": ", "").replace(c.dir() + "/", "");
    int list = line.indexOf("; supported operators: ");
    line = list < 0 ? line : line.substring(0, list); // the list of every supported operator says nothing here
    return line.length() <= 400 ? line : line.substring(0, 397) + "...";
  }
}
