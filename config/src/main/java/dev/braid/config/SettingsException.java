package dev.braid.config;

/**
 * A setting that is missing or malformed. The message names the key (its full HOCON path or the
 * command-line flag), the expected form and the value received, and is shown to the user as is.
 */
public class SettingsException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SettingsException(String message) {
    super(message);
  }

  public SettingsException(String message, Throwable cause) {
    super(message, cause);
  }

  /** "key: expected X, got 'v'". */
  public static SettingsException invalid(String key, String expected, Object received) {
    return new SettingsException(key + ": expected " + expected + ", got '" + received + "'");
  }
}
