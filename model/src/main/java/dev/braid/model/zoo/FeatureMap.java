package dev.braid.model.zoo;

/** A value of shape [batch, channels, height, width] in a convolutional zoo model. */
record FeatureMap(String name, int channels, int height, int width) {}
