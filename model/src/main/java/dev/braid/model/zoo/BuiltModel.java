package dev.braid.model.zoo;

import dev.braid.model.onnx.OnnxProto.ModelProto;

/** A zoo model's ONNX graph and its summary, before it is written to disk. */
record BuiltModel(ModelProto model, ZooModelInfo info) {}
