package dev.braid.model;

/**
 * A model that Braid cannot load or run: a corrupt file, an unsupported operator, a shape that
 * does not resolve, a bad {@code config.pbtxt}. Its message is written for the user, names what
 * is wrong and where, and is shown without a stack trace.
 */
public class ModelException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
