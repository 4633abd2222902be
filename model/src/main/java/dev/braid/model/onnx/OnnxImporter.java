package dev.braid.model.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.braid.model.Attribute;
import dev.braid.model.Attributes;
import dev.braid.model.DType;
import dev.braid.model.ModelException;
import dev.braid.model.Node;
import dev.braid.model.Operators;
import dev.braid.model.Tensor;
import dev.braid.model.onnx.OnnxProto.GraphProto;
import dev.braid.model.onnx.OnnxProto.ModelProto;
import dev.braid.model.onnx.OnnxProto.NodeProto;
import dev.braid.model.onnx.OnnxProto.OperatorSetIdProto;
import dev.braid.model.onnx.OnnxProto.StringStringEntryProto;
import dev.braid.model.onnx.OnnxProto.TensorProto;
import dev.braid.model.onnx.OnnxProto.TensorShapeProto;
import dev.braid.model.onnx.OnnxProto.TypeProto;
import dev.braid.model.onnx.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX file into an {@link ImportedModel}, checking everything that does not depend on
 * a batch size: the file parses, it has a graph, its default-domain opset is in {@link
 * Operators#OLDEST_OPSET}..{@link Operators#MAX_OPSET}, every node is a supported default-domain
 * operator (below opset {@link Operators#MIN_OPSET}, one Braid reads at that opset: {@link
 * Operators#oldestOpset}; the fold module's LegacyForms rewrites the older forms when binding),
 * every tensor decodes, and the graph is wired acyclically.
 *
 * <p>The importer is pure: it builds the whole model before returning it, so a failure (always a
 * {@link ModelException} whose message starts with the file name) leaves nothing half-loaded.
 */
public final class OnnxImporter {
  private OnnxImporter() {}

  /** Reads and imports {@code file}. */
  public static ImportedModel load(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ModelException(file + ": model file not found");
    } catch (IOException e) {
      throw new ModelException(file + ": cannot read model file: " + e.getMessage(), e);
    }
    String base = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    return parse(bytes, file.toString(), base.endsWith(".onnx") ? base.substring(0, base.length() - 5) : base);
  }

  /** Imports a model from its serialized bytes; {@code sourceName} names it in error messages. */
  public static ImportedModel parse(byte[] bytes, String sourceName) {
    return parse(bytes, sourceName, sourceName);
  }

  private static ImportedModel parse(byte[] bytes, String source, String fallbackName) {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelException(source + " is not a valid ONNX model (truncated or corrupt): " + e.getMessage());
    }
    if (!model.hasGraph()) {
      if (model.getIrVersion() == 0 && model.getOpsetImportCount() == 0) {
        throw new ModelException(source + " is not a valid ONNX model (truncated or corrupt): "
            + "no ONNX fields were found in its " + bytes.length + " bytes");
      }
      throw new ModelException(source + ": the ONNX model has no graph");
    }
    int opset = defaultOpset(model, source);
    GraphProto g = model.getGraph();

    Map<String, Tensor> initializers = new LinkedHashMap<>();
    for (TensorProto t : g.getInitializerList()) {
      if (t.getName().isEmpty()) {
        throw new ModelException(source + ": an initializer has no name");
      }
      Tensor value = TensorDecoder.decode(t, source, "initializer '" + t.getName() + "'");
      if (initializers.put(t.getName(), value) != null) {
        throw new ModelException(source + ": initializer '" + t.getName() + "' is defined twice");
      }
    }
    List<TensorSpec> inputs = new ArrayList<>();
    Set<String> sources = new HashSet<>(initializers.keySet());
    for (ValueInfoProto v : g.getInputList()) {
      if (initializers.containsKey(v.getName())) {
        continue; // IR < 4 lists initializers among the inputs; they are constants, not inputs.
      }
      inputs.add(spec(v, source, "input"));
      if (!sources.add(v.getName())) {
        throw new ModelException(source + ": graph input '" + v.getName() + "' is declared twice");
      }
    }
    List<TensorSpec> outputs = new ArrayList<>();
    for (ValueInfoProto v : g.getOutputList()) {
      outputs.add(spec(v, source, "output"));
    }

    List<Node> nodes = new ArrayList<>(g.getNodeCount());
    for (int i = 0; i < g.getNodeCount(); i++) {
      nodes.add(node(g.getNode(i), i, opset, source));
    }
    List<Node> ordered = GraphOrder.sort(nodes, sources, source);
    checkOutputsProduced(outputs, ordered, sources, source);
    UnusedOutputs.check(ordered, outputs, source);

    Map<String, String> metadata = new LinkedHashMap<>();
    for (StringStringEntryProto e : model.getMetadataPropsList()) {
      metadata.put(e.getKey(), e.getValue());
    }
    String name = g.getName().isEmpty() ? fallbackName : g.getName();
    return new ImportedModel(source, name, opset, model.getProducerName(), inputs, outputs,
        initializers, ordered, metadata);
  }

  private static int defaultOpset(ModelProto model, String source) {
    Long version = null;
    for (OperatorSetIdProto o : model.getOpsetImportList()) {
      if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
        version = o.getVersion();
      }
    }
    if (version == null) {
      throw new ModelException(source + ": the model imports no opset for the default ONNX domain;"
          + " Braid reads opsets " + Operators.OLDEST_OPSET + ".." + Operators.MAX_OPSET);
    }
    if (version < Operators.OLDEST_OPSET || version > Operators.MAX_OPSET) {
      throw new ModelException(source + ": default-domain opset " + version + " is outside the range"
          + " Braid supports (" + Operators.OLDEST_OPSET + ".." + Operators.MAX_OPSET + ")");
    }
    return version.intValue();
  }

  private static Node node(NodeProto p, int index, int opset, String source) {
    String name = p.getName().isEmpty() ? p.getOpType() + "_" + index : p.getName();
    String domain = p.getDomain();
    if (!domain.isEmpty() && !domain.equals("ai.onnx")) {
      throw new ModelException(source + ": node '" + name + "' (" + p.getOpType() + ") is in domain '"
          + domain + "'; Braid supports only the default ONNX domain");
    }
    if (!Operators.SUPPORTED.contains(p.getOpType())) {
      throw new ModelException(source + ": node '" + name + "' uses operator '" + p.getOpType()
          + "' (opset " + opset + "), which Braid does not support; supported operators: "
          + String.join(", ", Operators.SUPPORTED));
    }
    if (opset < Operators.oldestOpset(p.getOpType())) {
      throw new ModelException(source + ": node '" + name + "' (" + p.getOpType() + ") at default-domain opset "
          + opset + ": Braid reads " + p.getOpType() + " from opset " + Operators.oldestOpset(p.getOpType())
          + (Operators.SAME_SINCE.containsKey(p.getOpType()) || Operators.REWRITTEN_SINCE.containsKey(p.getOpType())
              ? "; its form before that is not read" : " (it did not exist before, or only as an experimental form)")
          + "; Braid reads opsets " + Operators.OLDEST_OPSET + ".." + Operators.MAX_OPSET
          + ", below " + Operators.MIN_OPSET + " operator by operator");
    }
    Attributes attributes = AttributeDecoder.decode(p.getAttributeList(), source,
        "node '" + name + "' (" + p.getOpType() + ")");
    if (p.getOpType().equals("RoiAlign") && opset < 16 && !attributes.has("coordinate_transformation_mode")) {
      // Opset 10's RoiAlign has no such attribute and computes what opset 16 calls output_half_pixel,
      // while opset 16's default is half_pixel: the node carries the form it was exported in.
      Map<String, Attribute> withMode = new LinkedHashMap<>(attributes.asMap());
      withMode.put("coordinate_transformation_mode", new Attribute.Str("output_half_pixel"));
      attributes = Attributes.of(withMode);
    }
    return new Node(name, p.getOpType(), p.getInputList(), p.getOutputList(), attributes);
  }

  private static TensorSpec spec(ValueInfoProto v, String source, String role) {
    String what = role + " '" + v.getName() + "'";
    if (v.getName().isEmpty()) {
      throw new ModelException(source + ": a graph " + role + " has no name");
    }
    if (!v.hasType() || v.getType().getValueCase() != TypeProto.ValueCase.TENSOR_TYPE) {
      throw new ModelException(source + ": " + what + " is not a tensor (sequences, maps and"
          + " optionals are not supported)");
    }
    TypeProto.Tensor t = v.getType().getTensorType();
    DType dtype = TensorDecoder.dtypeOf(t.getElemType(), source, what);
    if (!t.hasShape()) {
      return new TensorSpec(v.getName(), dtype, null);
    }
    List<DimSpec> dims = new ArrayList<>();
    for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
      dims.add(switch (d.getValueCase()) {
        case DIM_VALUE -> {
          if (d.getDimValue() < 0) {
            throw new ModelException(source + ": " + what + " has negative dimension " + d.getDimValue());
          }
          yield DimSpec.fixed(d.getDimValue());
        }
        case DIM_PARAM -> d.getDimParam().isEmpty() ? DimSpec.unknown() : DimSpec.symbolic(d.getDimParam());
        default -> DimSpec.unknown();
      });
    }
    return new TensorSpec(v.getName(), dtype, dims);
  }

  private static void checkOutputsProduced(
      List<TensorSpec> outputs, List<Node> nodes, Set<String> sources, String source) {
    Set<String> produced = new HashSet<>(sources);
    for (Node n : nodes) {
      produced.addAll(n.outputs());
    }
    for (TensorSpec o : outputs) {
      if (!produced.contains(o.name())) {
        throw new ModelException(source + ": graph output '" + o.name()
            + "' is not produced by any node and is not an input or initializer");
      }
    }
  }
}
