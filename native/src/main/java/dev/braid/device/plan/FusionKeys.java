package dev.braid.device.plan;

import dev.braid.device.kernel.AlongAxis;
import dev.braid.device.kernel.BatchNorm;
import dev.braid.device.kernel.Binary;
import dev.braid.device.kernel.Conv2d;
import dev.braid.device.kernel.DirectConvolution;
import dev.braid.device.kernel.Gemm;
import dev.braid.device.kernel.GlobalAveragePool;
import dev.braid.device.kernel.Kernel;
import dev.braid.device.kernel.LayerNorm;
import dev.braid.device.kernel.Pool2d;
import dev.braid.device.kernel.PoolNd;
import dev.braid.device.kernel.Precision;
import dev.braid.device.kernel.Reduce;
import dev.braid.device.kernel.ReduceMean;
import dev.braid.device.kernel.Softmax;
import dev.braid.device.kernel.TopK;
import dev.braid.device.kernel.Unary;
import dev.braid.model.DType;
import java.util.Optional;

/**
 * Which grouped super-kernel can take a kernel. Braid's grouped kernels read a problem table, one
 * entry per problem, so problems of different shapes, attributes and models fuse as long as one
 * compiled kernel can run every entry. Float32 only; the classes:
 *
 * <ul>
 *   <li>Tiled GEMM and convolution other than depthwise ({@code GEMM/FLOAT/tile64x64},
 *       {@link #GEMM_TILED}): both are 64 x 64-tile implicit GEMMs on 256-thread blocks with one shared
 *       memory layout, so one grouped kernel ({@code braid_tiled_grouped_f32}) runs a mix: its
 *       first blocks walk a GEMM table, the rest a convolution table, each tile on the
 *       single-class kernel's own body. A GEMM entry holds M, N, K, the operand pointers and
 *       leading dimensions, the batch count with its offsets, alpha, beta, the bias mode and the
 *       {@code transA}/{@code transB} flags (transposed and plain problems share the class); a
 *       convolution entry any groups, window, stride, padding, dilation, bias and activation (per
 *       group). Before issue 10's wider classes GEMM and convolution were two keys and split the
 *       ready set of a mix of CNNs and transformers in two.
 *   <li>Skinny GEMM ({@code GEMM/FLOAT/skinny16x32}, see {@link KernelGeometry}), apart from the
 *       tiled class: its blocks differ (128 threads over 32 long positions against 256 threads
 *       with 64 x 64 tiles), and a skinny problem on 64 x 64 tiles would issue up to
 *       64 / min(M, N) times its FLOPs. The lowering turns 1x1, stride-1, unpadded, ungrouped
 *       convolutions without activation into GEMMs, so they join the GEMM classes.
 *   <li>Depthwise convolution ({@code DEPTHWISE_CONV2D/FLOAT/dw}), any window, stride, dilation,
 *       pads and channel multiplier: one thread per output, the window loop bounds read from the
 *       entry.
 *   <li>Elementwise ({@code ELEMENTWISE/FLOAT/flat}): every {@link Unary} (any op, Clip's bounds
 *       per entry), {@link Binary} (any op, numpy broadcasting through per-entry strides) and
 *       {@link BatchNorm} (per-channel scale and shift); ops mix in one launch, the kernel switches
 *       on the entry's op code.
 *   <li>Pooling ({@code POOL/FLOAT/pool}): every {@link Pool2d} (max or average, any window,
 *       stride, padding, dilation) and {@link GlobalAveragePool}.
 *   <li>Row-wise normalisation and reduction ({@code NORMALIZATION/FLOAT/rows}): {@link Softmax},
 *       {@link LayerNorm}, {@link ReduceMean}, every {@link Reduce} op (the ONNX ReduceX family,
 *       ArgMax, ArgMin) and every {@link AlongAxis} op (LogSoftmax, Hardmax, CumSum), any shapes and
 *       axes, one block per row (fibre, output element) on the single kernel's own block size, so
 *       sums meet in the same order as alone. Not an integral Reduce or AlongAxis (an integer tensor
 *       carried as float32): its single kernel fails the launch through a status word when a result
 *       passes 2^24, and a launch fails as a whole ({@link dev.braid.device.GroupedLaunch} completes
 *       when every problem has and fails if any does), so one member's overflow would fail every
 *       other member's request. The launch path cannot attribute the failure to one member; those
 *       launch alone (empty).
 *   <li>TopK ({@code NORMALIZATION/FLOAT/fibres}, {@link #TOPK}): any outer, axis, inner, k,
 *       largest and values or indices per entry, one thread per fibre, 256 fibres per block over
 *       the union of the problems' fibres ({@code braid_topk_grouped_f32}). Not in the rows class:
 *       its one thread per fibre (k sequential passes over the axis) would, as a row of one block,
 *       keep one thread of 32 to 256 busy.
 *   <li>N-d pooling ({@code POOL/FLOAT/nd}, {@link #POOL_ND}): every {@link PoolNd} (MAX, AVERAGE,
 *       LP, MAX_INDEX over 1 to 3 spatial axes, any window, stride, pads, dilation), one output
 *       per thread as the pool class, but its own kernel ({@code braid_pool_nd_grouped_f32}): its
 *       geometry (a 136-byte BraidShape, the Lp exponent, the index layout) makes a 184-byte entry
 *       against {@code BraidPoolProblem}'s 96, and its grouped kernel takes 48 registers against
 *       the 2-D pool kernel's 32 (ptxas, sm_90): one kernel for both would take at least the 48,
 *       so every 2-D pool block would run at 5 instead of 8 resident 256-thread blocks per SM.
 *       N-d pools are rare (3-D windows, LpPool, MaxPool's Indices); the benchmark's mix plans
 *       none, nor any TopK.
 *   <li>Layout kernels (Transpose, Concat, Gather, Copy): empty (launched alone). They move bytes
 *       and compute nothing, and each has its own addressing (a permutation, a list of inputs, an
 *       index buffer with a status word) for which no grouped kernel exists.
 *   <li>GEMM and convolution in {@link Precision#BF16_FP32_ACC}: empty. There is no grouped bf16
 *       kernel (only {@code braid_gemm_bf16} and {@code braid_conv2d_bf16}, one problem each), so no
 *       super-kernel can take them: a {@code BFLOAT16} key would let the scheduler group bf16
 *       problems into launches the CUDA device must refuse. Empty also keeps them apart from every
 *       float32 class. A grouped bf16 kernel, when one exists, gets a key with dtype
 *       {@code BFLOAT16} (and the WMMA tile class) here, in the same change.
 * </ul>
 *
 * <p>Invariant: equal keys imply one compiled grouped kernel that can run every entry (the tiled
 * class also keeps its single-family kernels for groups of GEMMs only or convolutions only, which
 * take fewer registers), so a super-kernel's blocks have one register count; their
 * {@link KernelGeometry#of} threads and shared memory agree in every class but {@code rows}, whose
 * block size follows the row length (32 to 256 threads): a grouped row-wise launch runs every block
 * with the largest of its problems' (what {@code KernelWork} charges). The {@code fibres} and
 * {@code nd} classes' grouped blocks hold 256 fibres (outputs) against their single kernels' 1024
 * (4 per thread); each fibre or output is computed by the single kernel's body either way.
 * A {@link dev.braid.device.GroupedLaunch} takes only problems of one present key.
 */
public final class FusionKeys {
  /**
   * The float32 64 x 64-tile class, {@code GEMM/FLOAT/tile64x64}: tiled GEMMs and every
   * convolution that is not depthwise.
   */
  public static final FusionKey GEMM_TILED = new FusionKey(KernelFamily.GEMM, DType.FLOAT32, tile());
  /** The float32 skinny GEMM class, {@code GEMM/FLOAT/skinny16x32}. */
  public static final FusionKey GEMM_SKINNY = new FusionKey(KernelFamily.GEMM, DType.FLOAT32,
      "skinny" + KernelGeometry.SKINNY_MAX + "x" + KernelGeometry.SKINNY_SPAN);
  /** Every float32 depthwise convolution, {@code DEPTHWISE_CONV2D/FLOAT/dw}. */
  public static final FusionKey DEPTHWISE = new FusionKey(KernelFamily.DEPTHWISE_CONV2D, DType.FLOAT32, "dw");
  /** Unary, Binary and BatchNorm, {@code ELEMENTWISE/FLOAT/flat}. */
  public static final FusionKey ELEMENTWISE = new FusionKey(KernelFamily.ELEMENTWISE, DType.FLOAT32, "flat");
  /** Pool2d and GlobalAveragePool, {@code POOL/FLOAT/pool}. */
  public static final FusionKey POOL = new FusionKey(KernelFamily.POOL, DType.FLOAT32, "pool");
  /**
   * Softmax, LayerNorm, ReduceMean and the Reduce and AlongAxis that are not integral,
   * {@code NORMALIZATION/FLOAT/rows}.
   */
  public static final FusionKey ROWS = new FusionKey(KernelFamily.NORMALIZATION, DType.FLOAT32, "rows");
  /** Every float32 TopK, {@code NORMALIZATION/FLOAT/fibres}. */
  public static final FusionKey TOPK = new FusionKey(KernelFamily.NORMALIZATION, DType.FLOAT32, "fibres");
  /** Every float32 PoolNd, {@code POOL/FLOAT/nd}. */
  public static final FusionKey POOL_ND = new FusionKey(KernelFamily.POOL, DType.FLOAT32, "nd");

  private FusionKeys() {}

  /** The key of the super-kernel that can take {@code kernel}, or empty when it runs alone. */
  public static Optional<FusionKey> of(Kernel kernel) {
    if (!fusable(kernel)) {
      return Optional.empty();
    }
    if (kernel instanceof TopK) {
      return Optional.of(TOPK);
    }
    if (kernel instanceof PoolNd) {
      return Optional.of(POOL_ND);
    }
    return switch (KernelFamily.of(kernel)) {
      case GEMM -> Optional.of(KernelGeometry.isSkinny((Gemm) kernel) ? GEMM_SKINNY : GEMM_TILED);
      case CONV2D -> Optional.of(GEMM_TILED);
      case DEPTHWISE_CONV2D -> Optional.of(DEPTHWISE);
      case ELEMENTWISE -> Optional.of(ELEMENTWISE);
      case POOL -> Optional.of(POOL);
      case NORMALIZATION -> Optional.of(ROWS);
      case LAYOUT -> Optional.empty();
    };
  }

  /**
   * Whether a grouped kernel exists for the kernel's precision (float32 only, for now) and kind
   * (none for the direct convolutions ConvTranspose2d and ConvNd, which share the CONV2D family for
   * cost but not the implicit-GEMM table's layout), and whether a failure of the
   * kernel could be told apart from its partners' (not for an integral Reduce or AlongAxis).
   */
  private static boolean fusable(Kernel kernel) {
    return !(kernel instanceof Gemm g && g.precision() != Precision.FP32)
        && !(kernel instanceof Reduce r && r.integral() || kernel instanceof AlongAxis a && a.integral())
        && !(kernel instanceof DirectConvolution)
        && !(kernel instanceof Conv2d c && c.precision() != Precision.FP32);
  }

  private static String tile() {
    return "tile" + KernelGeometry.TILE + "x" + KernelGeometry.TILE;
  }
}
