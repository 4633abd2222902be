package dev.braid.bench.gpucheck;

import dev.braid.device.kernel.Activation;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.BinaryOp;
import dev.braid.device.kernel.Concat;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.Copy;
import dev.braid.device.kernel.Gather;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GemmBias;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.Pool2d.PoolMode;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.Transpose;
import dev.braid.device.kernel.Unary;
import dev.braid.device.kernel.UnaryOp;
import dev.braid.device.kernel.Where;
import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.AxisOp;
import dev.braid.device.kernel.ConvNd;
import dev.braid.device.kernel.ConvTranspose2d;
import dev.braid.device.kernel.GatherElements;
import dev.braid.device.kernel.GatherNd;
import dev.braid.device.kernel.GridSample;
import dev.braid.device.kernel.OneHot;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceOp;
import dev.braid.device.kernel.Remap;
import dev.braid.device.kernel.Resample;
import dev.braid.device.kernel.RoiAlign;
import dev.braid.device.kernel.Scatter;
import dev.braid.device.kernel.ScatterReduction;
import dev.braid.device.kernel.TopK;
import dev.braid.model.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The cases {@code gpucheck kernels} runs: every kernel of the set, with shapes the zoo and Table 1
 * use plus odd sizes that leave partial tiles and edge blocks, every grouped super-kernel over
 * problems of different shapes (and, for the classes that take them, different ops), and the bf16 tensor-core GEMM and convolution (whose reference, CpuDevice in
 * {@link Precision#BF16_FP32_ACC}, rounds the inputs to bf16 first, so the same relative tolerance
 * holds: only the float32 summation order differs). Sizes stay small enough for the CPU reference
 * to finish in seconds.
 */
final class KernelCases {
  private KernelCases() {}

  static List<KernelCase> all() {
    List<KernelCase> c = new ArrayList<>();
    // GEMM: tiled, with every transpose and bias form, odd sizes for partial 64 x 64 tiles
    c.add(KernelCase.single("gemm 256x128x1152 (Table 1 conv2_2)", Gemm.of(256, 128, 1152)));
    c.add(KernelCase.single("gemm 256x256x256 (Table 1 square)", Gemm.of(256, 256, 256)));
    c.add(KernelCase.single("gemm 197x130x300 transB per-column bias",
        Gemm.of(197, 130, 300, false, true, 1f, 1f, GemmBias.PER_COLUMN)));
    c.add(KernelCase.single("gemm 64x96x80 transA full bias alpha 0.5 beta 2",
        Gemm.of(64, 96, 80, true, false, 0.5f, 2f, GemmBias.FULL)));
    c.add(KernelCase.single("gemm 100x70x33 per-row bias", Gemm.of(100, 70, 33, false, false, 1f, 1f, GemmBias.PER_ROW)));
    c.add(KernelCase.single("gemm 65x67x17 transA transB scalar bias",
        Gemm.of(65, 67, 17, true, true, 1f, 1f, GemmBias.SCALAR)));
    c.add(KernelCase.single("gemm batched 4x64x64x64 (attention heads)", Gemm.strided(4, 64, 64, 64, 64 * 64, 64 * 64)));
    // skinny GEMM: batch-1 linear layers and the RNN mat-vec
    c.add(KernelCase.single("skinny gemm 1x1024x784 transB bias (mlp fc1, batch 1)",
        Gemm.of(1, 1024, 784, false, true, 1f, 1f, GemmBias.PER_COLUMN)));
    c.add(KernelCase.single("skinny gemm 512x1x512 (Table 1 matvec)", Gemm.of(512, 1, 512)));
    c.add(KernelCase.single("skinny gemm 4x1000x512 transB bias (resnet fc, batch 4)",
        Gemm.of(4, 1000, 512, false, true, 1f, 1f, GemmBias.PER_COLUMN)));
    // grouped GEMM super-kernel: different shapes (and models) in one launch
    // tiled shapes only: a skinny one (mlp fc1, M=1) has another fusion key and its own grouped case
    c.add(KernelCase.group("grouped gemm: conv2_2, square, odd, batched", List.of(
        Gemm.of(256, 128, 1152), Gemm.of(256, 256, 256),
        Gemm.of(33, 17, 45, false, false, 1f, 1f, GemmBias.PER_ROW),
        Gemm.strided(2, 64, 64, 64, 64 * 64, 64 * 64))));
    c.add(KernelCase.group("grouped gemm: 10 x Table 1 matvec", java.util.Collections.nCopies(10, Gemm.of(512, 1, 512))));
    // convolution: dense implicit GEMM, 1x1, strided, padded asymmetrically, dilated, grouped
    c.add(KernelCase.single("conv 3x3/1 64->64 14x14 bias relu",
        new Conv2d(1, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU)));
    c.add(KernelCase.single("conv 7x7/2 3->64 64x64 batch 2 (resnet stem)", Conv2d.simple(2, 3, 64, 64, 64, 7, 2, 3, 1)));
    c.add(KernelCase.single("conv 1x1/2 64->128 28x28 (downsample)", Conv2d.simple(1, 64, 28, 28, 128, 1, 2, 0, 1)));
    c.add(KernelCase.single("conv 3x3 dilation 2 asymmetric pad bias clip6",
        new Conv2d(1, 16, 17, 19, 24, 3, 3, 1, 2, 2, 1, 0, 3, 2, 2, 1, true, Activation.clip(0f, 6f))));
    c.add(KernelCase.single("conv 3x3/1 groups 4 32->32 15x15", Conv2d.simple(1, 32, 15, 15, 32, 3, 1, 1, 4)));
    // depthwise convolution (MobileNetV2's)
    c.add(KernelCase.single("depthwise conv 3x3/1 96ch 28x28 clip6",
        new Conv2d(1, 96, 28, 28, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 96, false, Activation.clip(0f, 6f))));
    c.add(KernelCase.single("depthwise conv 3x3/2 144ch 29x29 batch 4", Conv2d.simple(4, 144, 29, 29, 144, 3, 2, 1, 144)));
    // grouped conv super-kernel
    c.add(KernelCase.group("grouped conv: 3x3, 1x1/2, 7x7/2, grouped, biased", List.of(
        Conv2d.simple(1, 64, 14, 14, 64, 3, 1, 1, 1),
        Conv2d.simple(1, 64, 28, 28, 128, 1, 2, 0, 1),
        Conv2d.simple(1, 3, 32, 32, 16, 7, 2, 3, 1),
        Conv2d.simple(1, 32, 15, 15, 32, 3, 1, 1, 4),
        new Conv2d(2, 8, 9, 11, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU))));
    // GEMMs beside convolutions: one fusion class, braid_tiled_grouped_f32 (issue 10)
    c.add(KernelCase.group("grouped gemm + conv: bert projection, resnet 3x3 and 1x1/2, transposed gemm", List.of(
        Conv2d.simple(1, 64, 14, 14, 64, 3, 1, 1, 1),
        Gemm.of(128, 768, 768),
        Conv2d.simple(1, 64, 28, 28, 128, 1, 2, 0, 1),
        Gemm.of(65, 67, 17, true, true, 1f, 1f, GemmBias.SCALAR))));
    // bf16 inputs, float32 accumulation (WMMA): no skinny, depthwise or grouped variant, so skinny
    // shapes and depthwise/grouped convolutions go through the 64 x 64 tiles; K not a multiple of 16
    // exercises the zero-filled last WMMA step
    c.add(bf16("gemm 256x128x1152 (Table 1 conv2_2)", Gemm.of(256, 128, 1152)));
    c.add(bf16("gemm 197x130x300 transB per-column bias",
        Gemm.of(197, 130, 300, false, true, 1f, 1f, GemmBias.PER_COLUMN)));
    c.add(bf16("gemm 64x96x80 transA full bias alpha 0.5 beta 2",
        Gemm.of(64, 96, 80, true, false, 0.5f, 2f, GemmBias.FULL)));
    c.add(bf16("gemm 65x67x17 transA transB scalar bias", Gemm.of(65, 67, 17, true, true, 1f, 1f, GemmBias.SCALAR)));
    c.add(bf16("gemm 1x1024x784 transB bias (mlp fc1, batch 1)",
        Gemm.of(1, 1024, 784, false, true, 1f, 1f, GemmBias.PER_COLUMN)));
    c.add(bf16("gemm batched 3x33x70x45 shared B per-row bias", new Gemm(3, 33, 70, 45, false, false, 1f, 1f,
        GemmBias.PER_ROW, new int[] {0, 33 * 45, 2 * 33 * 45}, new int[3])));
    c.add(bf16("conv 3x3/1 64->64 14x14 bias relu",
        new Conv2d(1, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, Activation.RELU)));
    c.add(bf16("conv 7x7/2 3->64 64x64 batch 2 (resnet stem)", Conv2d.simple(2, 3, 64, 64, 64, 7, 2, 3, 1)));
    c.add(bf16("conv 3x3 dilation 2 asymmetric pad bias clip6",
        new Conv2d(1, 16, 17, 19, 24, 3, 3, 1, 2, 2, 1, 0, 3, 2, 2, 1, true, Activation.clip(0f, 6f))));
    c.add(bf16("conv 3x3/1 groups 4 32->32 15x15", Conv2d.simple(1, 32, 15, 15, 32, 3, 1, 1, 4)));
    c.add(bf16("depthwise conv 3x3/2 48ch 29x29 batch 2", Conv2d.simple(2, 48, 29, 29, 48, 3, 2, 1, 48)));
    // elementwise
    Shape act = Shape.of(1, 64, 14, 14);
    c.add(KernelCase.single("add same shape", Binary.of(BinaryOp.ADD, act, act)));
    c.add(KernelCase.single("add per-channel broadcast", Binary.of(BinaryOp.ADD, act, Shape.of(1, 64, 1, 1))));
    c.add(KernelCase.single("sub row broadcast", Binary.of(BinaryOp.SUB, Shape.of(4, 64, 256), Shape.of(4, 64, 1))));
    c.add(KernelCase.single("mul by a row", Binary.of(BinaryOp.MUL, Shape.of(4, 64, 256), Shape.of(256))));
    c.add(KernelCase.single("div both-sided broadcast", Binary.of(BinaryOp.DIV, Shape.of(3, 1, 5), Shape.of(1, 7, 5))));
    c.add(KernelCase.single("pow by a scalar", Binary.of(BinaryOp.POW, Shape.of(2, 64, 33), Shape.scalar())));
    for (UnaryOp op : UnaryOp.values()) {
      c.add(KernelCase.single("unary " + op.name().toLowerCase(java.util.Locale.ROOT) + " 10007", unary(op, 10007)));
    }
    for (BinaryOp op : BinaryOp.values()) {
      c.add(KernelCase.single("binary " + op.name().toLowerCase(java.util.Locale.ROOT) + " row broadcast",
          Binary.of(op, Shape.of(4, 33, 64), Shape.of(33, 1))));
    }
    c.add(KernelCase.single("where three-way broadcast", Where.of(Shape.of(4, 1, 64), Shape.of(33, 1), Shape.of(64))));
    c.add(KernelCase.single("batchnorm 2x32x49", new BatchNorm(2, 32, 49)));
    // pooling
    c.add(KernelCase.single("maxpool 3x3/2 pad 1 2x16x29x29", Pool2d.simple(PoolMode.MAX, 2, 16, 29, 29, 3, 2, 1)));
    c.add(KernelCase.single("avgpool 3x3/2 pad 1 count_include_pad",
        new Pool2d(PoolMode.AVERAGE, 1, 8, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 9, 9, true)));
    c.add(KernelCase.single("avgpool 2x2/2 no pad", Pool2d.simple(PoolMode.AVERAGE, 1, 8, 16, 16, 2, 2, 0)));
    c.add(KernelCase.single("global average pool 2x512x7x7", new GlobalAveragePool(2 * 512, 49)));
    // normalization and reductions
    c.add(KernelCase.single("softmax last axis 4x4x64x64 (attention)", new Softmax(4 * 4 * 64, 64, 1)));
    c.add(KernelCase.single("softmax middle axis", new Softmax(8, 5, 7)));
    // issue 12's reductions, fibre operators, TopK, index maps, gathers, scatters, N-D pools (tensor.cuh)
    for (ReduceOp op : ReduceOp.values()) {
      List<Integer> axes = op.isArg() ? List.of(2) : List.of(1, 2);
      c.add(KernelCase.single("reduce " + op.name().toLowerCase(java.util.Locale.ROOT) + " 2x3x40x5",
          new Reduce(op, Shape.of(2, 3, 40, 5), axes, false)));
    }
    for (AxisOp op : AxisOp.values()) {
      c.add(KernelCase.single("along axis " + op.name().toLowerCase(java.util.Locale.ROOT) + " 2x300x7",
          new AlongAxis(op, 2, 300, 7, false)));
    }
    c.add(KernelCase.single("topk 4 largest values of 50", new TopK(3, 50, 7, 4, true, false)));
    c.add(KernelCase.single("topk 4 smallest indices of 50", new TopK(3, 50, 7, 4, false, true)));
    c.add(KernelCase.single("remap 600 -> 2000 with fill", new Remap(600, 2000, 0.25f)));
    c.add(KernelCase.single("gather elements axis 1", new GatherElements(Shape.of(4, 10, 3), Shape.of(4, 6, 3), 1)));
    c.add(KernelCase.single("gather nd batch 1", new GatherNd(Shape.of(3, 5, 6, 2), Shape.of(3, 4, 2), 1)));
    c.add(KernelCase.single("scatter nd add", new Scatter(true, Shape.of(6, 5, 3), Shape.of(10, 1), 0,
        ScatterReduction.ADD)));
    c.add(KernelCase.single("scatter elements none axis 1", new Scatter(false, Shape.of(5, 7), Shape.of(3, 12), 1,
        ScatterReduction.NONE)));
    c.add(KernelCase.single("one hot depth 11", new OneHot(6, 11, 3, -1f, 2f)));
    c.add(KernelCase.single("conv transpose 2x4x5x6 -> 6, 3x3 stride 2x3 dilation 2x1 groups 2 bias",
        new ConvTranspose2d(2, 4, 5, 6, 6, 3, 3, 2, 3, 1, -1, 2, 1, 2, 12, 19, true)));
    c.add(KernelCase.single("conv transpose 1-D 3x9 -> 2, kernel 4 stride 2 no bias",
        new ConvTranspose2d(1, 3, 1, 9, 2, 1, 4, 1, 2, 0, 2, 1, 2, 1, 1, 20, false)));
    c.add(KernelCase.single("conv 3-D 2x4x6x7x8 -> 6, 3x2x3 stride 2x1x2 pads 1x0x1 dilation 1x2x1 groups 2 bias",
        new ConvNd(ConvNd.Kind.CONV, 2, 4, 6, List.of(6, 7, 8), List.of(3, 2, 3), List.of(2, 1, 2), List.of(1, 0, 1),
            List.of(1, 2, 1), List.of(3, 5, 4), 2, true)));
    c.add(KernelCase.single("conv transpose 3-D 1x4x3x4x5 -> 2, 3x3x2 stride 2x1x2 pad 1x-1x0 no bias",
        new ConvNd(ConvNd.Kind.CONV_TRANSPOSE, 1, 4, 2, List.of(3, 4, 5), List.of(3, 3, 2), List.of(2, 1, 2),
            List.of(1, -1, 0), List.of(1, 1, 2), List.of(5, 8, 10), 1, false)));
    c.add(KernelCase.single("resample linear 2x3x7x9 -> 2x3x12x5, fill",
        new Resample(Shape.of(2, 3, 7, 9), Shape.of(2, 3, 12, 5), List.of(1, 1, 2, 2), 0.5f)));
    c.add(KernelCase.single("resample cubic 3-D 4x10x6 -> 4x7x13",
        new Resample(Shape.of(4, 10, 6), Shape.of(4, 7, 13), List.of(1, 4, 4), 0f)));
    c.add(KernelCase.single("resample antialias-wide taps 1-D 40 -> 9",
        new Resample(Shape.of(40), Shape.of(9), List.of(9), 0f)));
    for (GridSample.Mode mode : GridSample.Mode.values()) {
      for (GridSample.Padding padding : GridSample.Padding.values()) {
        boolean align = (mode.ordinal() + padding.ordinal()) % 2 == 0;
        c.add(KernelCase.single("grid sample " + mode + " " + padding + (align ? " align corners" : "") + " 2x3x7x9 -> 5x6",
            new GridSample(2, 3, 7, 9, 5, 6, mode, padding, align)));
      }
    }
    c.add(KernelCase.single("roi align avg half pixel, 6 regions of 2x3x10x12, sampling 2",
        new RoiAlign(2, 3, 10, 12, 6, 4, 5, 2, 1f, true, false)));
    c.add(KernelCase.single("roi align max output half pixel, adaptive sampling, scale 0.5",
        new RoiAlign(2, 3, 10, 12, 5, 3, 3, 0, 0.5f, false, true)));
    List<Integer> in3 = List.of(7, 9, 8), k3 = List.of(3, 2, 3), s3 = List.of(2, 1, 2), p3 = List.of(1, 0, 1);
    for (PoolNd.Kind kind : PoolNd.Kind.values()) {
      c.add(KernelCase.single("pool 3-D " + kind.name().toLowerCase(java.util.Locale.ROOT) + " 6x7x9x8",
          new PoolNd(kind, 6, in3, k3, s3, p3, p3, List.of(1, 1, 1), List.of(4, 8, 4), kind == PoolNd.Kind.AVERAGE, 3,
              kind == PoolNd.Kind.MAX_INDEX)));
    }
    c.add(KernelCase.single("layernorm 128x256 bias (bert)", new LayerNorm(128, 256, 1e-12f, true)));
    c.add(KernelCase.single("layernorm 64x100 no bias", new LayerNorm(64, 100, 1e-5f, false)));
    c.add(KernelCase.single("reduce mean last axis 2x64x256", new ReduceMean(Shape.of(2, 64, 256), List.of(2))));
    c.add(KernelCase.single("reduce mean axes 0,2", new ReduceMean(Shape.of(4, 6, 8), List.of(0, 2))));
    // layout
    c.add(KernelCase.single("transpose heads 2x64x4x64 perm 0213", new Transpose(Shape.of(2, 64, 4, 64), List.of(0, 2, 1, 3))));
    c.add(KernelCase.single("transpose 2x3x4x5 perm 3102", new Transpose(Shape.of(2, 3, 4, 5), List.of(3, 1, 0, 2))));
    c.add(KernelCase.single("concat axis 1", new Concat(List.of(Shape.of(2, 3, 5), Shape.of(2, 4, 5), Shape.of(2, 1, 5)), 1)));
    c.add(KernelCase.single("gather rows 50x16", new Gather(Shape.of(50, 16), 0, 7)));
    c.add(KernelCase.single("gather middle axis", new Gather(Shape.of(4, 10, 6), 1, 3)));
    c.add(KernelCase.single("copy 1001", new Copy(1001)));
    addGrouped(c);
    return c;
  }

  /**
   * Super-kernels of the fusion classes beyond tiled GEMM and dense convolution (issue 10): each
   * mixes shapes, ops and attributes that the single-problem kernels take one at a time, with odd
   * sizes for partial blocks. The reference runs every problem alone.
   */
  private static void addGrouped(List<KernelCase> c) {
    c.add(KernelCase.group("grouped skinny gemm: mlp fc1, matvec, transA, batched heads", List.of(
        Gemm.of(1, 1024, 784, false, true, 1f, 1f, GemmBias.PER_COLUMN), Gemm.of(512, 1, 512),
        Gemm.of(3, 70, 45, true, false, 0.5f, 2f, GemmBias.FULL), Gemm.strided(2, 4, 70, 33, 4 * 33, 33 * 70))));
    c.add(KernelCase.group("grouped depthwise conv: 3x3/1, 3x3/2, 5x5 dilated asymmetric pad, multiplier 2, 7x7/2",
        List.of(new Conv2d(1, 96, 28, 28, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 96, false, Activation.clip(0f, 6f)),
            Conv2d.simple(2, 144, 29, 29, 144, 3, 2, 1, 144),
            new Conv2d(1, 24, 17, 19, 24, 5, 5, 1, 1, 3, 2, 1, 4, 2, 2, 24, true, Activation.RELU),
            new Conv2d(2, 8, 13, 11, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, true, Activation.NONE),
            Conv2d.simple(1, 32, 30, 30, 32, 7, 2, 3, 32))));
    List<Kernel> ew = new ArrayList<>();
    int size = 1000;
    for (UnaryOp op : UnaryOp.values()) {
      ew.add(unary(op, size + 7));
      size += 613;
    }
    ew.add(Binary.of(BinaryOp.ADD, Shape.of(1, 64, 14, 14), Shape.of(1, 64, 1, 1)));
    ew.add(Binary.of(BinaryOp.SUB, Shape.of(4, 64, 33), Shape.of(4, 64, 1)));
    ew.add(Binary.of(BinaryOp.MUL, Shape.of(4, 64, 256), Shape.of(256)));
    ew.add(Binary.of(BinaryOp.DIV, Shape.of(3, 1, 5), Shape.of(1, 7, 5)));
    ew.add(Binary.of(BinaryOp.POW, Shape.of(2, 64, 33), Shape.scalar()));
    for (BinaryOp op : BinaryOp.values()) {
      if (op.ordinal() > BinaryOp.POW.ordinal()) {
        ew.add(Binary.of(op, Shape.of(3, 1, 5), Shape.of(1, 7, 5)));
      }
    }
    ew.add(new BatchNorm(2, 32, 49));
    ew.add(new BatchNorm(1, 96, 13));
    c.add(KernelCase.group("grouped elementwise: every unary op, every binary op broadcast, batchnorm", ew));
    c.add(KernelCase.group("grouped pool: max 3x3/2, avg count_include_pad, avg 2x2, max dilated, global avg",
        List.of(Pool2d.simple(PoolMode.MAX, 2, 16, 29, 29, 3, 2, 1),
            new Pool2d(PoolMode.AVERAGE, 1, 8, 17, 17, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 9, 9, true),
            Pool2d.simple(PoolMode.AVERAGE, 1, 8, 16, 16, 2, 2, 0),
            new Pool2d(PoolMode.MAX, 1, 4, 15, 13, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 15, 13, false),
            new GlobalAveragePool(2 * 512, 49), new GlobalAveragePool(13, 100))));
    c.add(KernelCase.group("grouped rows: softmax last/middle/long axis, layernorm with/without bias, reduce mean",
        List.of(new Softmax(4 * 4 * 64, 64, 1), new Softmax(8, 5, 7), new Softmax(3, 1000, 1),
            new LayerNorm(128, 256, 1e-12f, true), new LayerNorm(64, 100, 1e-5f, false),
            new ReduceMean(Shape.of(2, 64, 256), List.of(2)), new ReduceMean(Shape.of(4, 6, 8), List.of(0, 2)))));
    // Reduce and AlongAxis joined the rows class (issue 10): every op in one launch, beside a softmax
    List<Kernel> rows = new ArrayList<>();
    for (ReduceOp op : ReduceOp.values()) {
      rows.add(new Reduce(op, Shape.of(2, 3, 40, 5), op.isArg() ? List.of(2) : List.of(1, 2), false));
    }
    for (AxisOp op : AxisOp.values()) {
      rows.add(new AlongAxis(op, 2, 300, 7, false));
    }
    rows.add(new Softmax(8, 5, 7));
    c.add(KernelCase.group("grouped rows: every reduce op, every along-axis op, softmax", rows));
    // TopK and PoolNd got fusion classes of their own (issue 10)
    c.add(KernelCase.group("grouped topk: top-5 values and indices of 1000, strided fibres, smallest, k = axis",
        List.of(new TopK(1, 1000, 1, 5, true, false), new TopK(1, 1000, 1, 5, true, true),
            new TopK(3, 50, 700, 4, true, true), new TopK(4, 7, 9, 7, false, false),
            new TopK(2, 33, 129, 1, false, true))));
    List<Kernel> poolsNd = new ArrayList<>();
    for (PoolNd.Kind kind : PoolNd.Kind.values()) {
      boolean index = kind == PoolNd.Kind.MAX_INDEX;
      poolsNd.add(new PoolNd(kind, 6, List.of(37), List.of(4), List.of(3), List.of(2), List.of(1), List.of(1),
          List.of(13), kind == PoolNd.Kind.AVERAGE, 2, false));
      poolsNd.add(new PoolNd(kind, 3, List.of(12, 13), List.of(3, 3), List.of(1, 2), List.of(1, 1), List.of(1, 0),
          List.of(2, 1), List.of(10, 6), true, 1, index));
      poolsNd.add(new PoolNd(kind, 2, List.of(7, 9, 8), List.of(3, 2, 3), List.of(2, 1, 2), List.of(1, 0, 1),
          List.of(0, 1, 1), List.of(1, 1, 1), List.of(3, 9, 4), false, 3, index));
    }
    c.add(KernelCase.group("grouped pool N-d: every kind over 1, 2 (dilated) and 3 axes, column-major indices",
        poolsNd));
  }

  private static KernelCase bf16(String name, Gemm g) {
    return KernelCase.single("bf16 " + name, g.withPrecision(Precision.BF16_FP32_ACC));
  }

  private static KernelCase bf16(String name, Conv2d conv) {
    return KernelCase.single("bf16 " + name, conv.withPrecision(Precision.BF16_FP32_ACC));
  }

  /** A unary kernel with parameters in the op's meaningful range (Unary.of's infinite defaults suit only Clip). */
  static Unary unary(UnaryOp op, long n) {
    return switch (op) {
      case CLIP -> Unary.clip(n, -0.25f, 0.5f);
      case HARD_SIGMOID -> Unary.of(op, n, 0.2f, 0.5f);
      case LEAKY_RELU -> Unary.of(op, n, 0.01f, 0f);
      case THRESHOLDED_RELU -> Unary.of(op, n, 0.3f, 0f);
      case ELU -> Unary.of(op, n, 1f, 0f);
      case SELU -> Unary.of(op, n, UnaryOp.SELU_ALPHA, UnaryOp.SELU_GAMMA);
      case CELU -> Unary.of(op, n, 0.7f, 0f);
      case ISINF -> Unary.of(op, n, 1f, 1f);
      case TRUNC_WRAP -> Unary.of(op, n, 256f, 1f);
      default -> Unary.of(op, n);
    };
  }
}
