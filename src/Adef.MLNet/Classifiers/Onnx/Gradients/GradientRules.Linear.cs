using Onnx;
using static Adef.MLNet.Classifiers.Onnx.Gradients.GradientGraphBuilder;

namespace Adef.MLNet.Classifiers.Onnx.Gradients;

internal static partial class GradientRules
{
    private static void MatMul(GradientGraphBuilder b, NodeProto node)
    {
        // y = a·c (numpy matmul): da = dy·cᵀ, dc = aᵀ·dy, each summed over broadcast batch axes.
        var dy = OutputCotangent(b, node);
        var (a, c) = (node.Input[0], node.Input[1]);
        if (b.Active.Contains(a))
        {
            var cRank = b.ConstantValue(c)?.Dims.Count;
            string da;
            if (cRank == 1)
            {
                da = b.Node("Mul", [b.Node("Unsqueeze", [dy, b.Int64s(-1)]), c]);
            }
            else if (cRank is { } rank)
            {
                da = b.Node("MatMul", [dy, b.Node("Transpose", [c], Ints("perm", SwapLastTwo(rank)))]);
            }
            else
            {
                da = b.Node("MatMul", [dy, SwapLastTwoAxes(b, c)]);
            }
            b.AddCotangent(a, cRank == 1 ? da : b.Unbroadcast(da, a));
        }
        if (b.Active.Contains(c))
        {
            var aRank = b.ConstantValue(a)?.Dims.Count;
            if (aRank == 1)
            {
                throw new NotSupportedException($"{node.Describe()}: the gradient of a vector-matrix product with respect to the matrix is not supported.");
            }
            var aT = aRank is { } rank ? b.Node("Transpose", [a], Ints("perm", SwapLastTwo(rank))) : SwapLastTwoAxes(b, a);
            var dc = b.Node("MatMul", [aT, dy]);
            b.AddCotangent(c, b.Unbroadcast(dc, c));
        }
    }

    /// <summary>Swaps the last two axes of a tensor of rank ≥ 2 whose rank is not known here.</summary>
    private static string SwapLastTwoAxes(GradientGraphBuilder b, string tensor)
    {
        var matrix = b.Node("Shape", [tensor], Int("start", -2));
        var stacked = b.Node("Reshape", [tensor, b.Node("Concat", [b.Int64s(-1), matrix], Int("axis", 0))]);
        var transposed = b.Node("Transpose", [stacked], Ints("perm", [0, 2, 1]));
        var swapped = b.Node("Concat", [
            b.Node("Shape", [tensor], Int("end", -2)),
            b.Node("Shape", [tensor], Int("start", -1)),
            b.Node("Shape", [tensor], Int("start", -2), Int("end", -1))], Int("axis", 0));
        return b.Node("Reshape", [transposed, swapped]);
    }

    private static long[] SwapLastTwo(int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[rank - 2], perm[rank - 1]) = (perm[rank - 1], perm[rank - 2]);
        return perm;
    }

    private static void Gemm(GradientGraphBuilder b, NodeProto node)
    {
        // y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B; A', B' are 2-D.
        var dy = OutputCotangent(b, node);
        var (a, c) = (node.Input[0], node.Input[1]);
        var alpha = node.GetFloat("alpha", 1.0);
        var beta = node.GetFloat("beta", 1.0);
        var transA = node.GetInt("transA", 0) != 0;
        var transB = node.GetInt("transB", 0) != 0;
        var scaledDy = alpha == 1.0 ? dy : b.Node("Mul", [dy, b.Scalar(alpha)]);
        if (b.Active.Contains(a))
        {
            // dA' = dy·B'ᵀ [K, M, Kd]; B'ᵀ is B itself when transB.
            var bPrimeT = transB ? c : b.Node("Transpose", [c], Ints("perm", [1, 0]));
            var daPrime = b.Node("MatMul", [scaledDy, bPrimeT]);
            b.AddCotangent(a, transA ? b.Node("Transpose", [daPrime], Ints("perm", [0, 2, 1])) : daPrime);
        }
        if (b.Active.Contains(c))
        {
            var aPrimeT = transA ? a : b.Node("Transpose", [a], Ints("perm", [1, 0]));
            var dbPrime = b.Node("MatMul", [aPrimeT, scaledDy]);
            b.AddCotangent(c, transB ? b.Node("Transpose", [dbPrime], Ints("perm", [0, 2, 1])) : dbPrime);
        }
        var bias = node.InputOrEmpty(2);
        if (bias.Length > 0 && b.Active.Contains(bias))
        {
            var scaled = beta == 1.0 ? dy : b.Node("Mul", [dy, b.Scalar(beta)]);
            b.AddCotangent(bias, b.Unbroadcast(scaled, bias));
        }
    }

    private static void Conv(GradientGraphBuilder b, NodeProto node)
    {
        RequireInactive(b, node, 1);
        RequireInactive(b, node, 2);
        var x = node.Input[0];
        var weight = node.Input[1];
        var kernel = node.GetInts("kernel_shape")
            ?? b.ConstantValue(weight)?.Dims.Skip(2).ToArray()
            ?? throw new NotSupportedException($"{node.Describe()}: the kernel shape is needed (a kernel_shape attribute or a constant weight).");
        var folded = b.FoldK(OutputCotangent(b, node));
        var dx = ConvolutionAdjoint(b, node, folded, weight, kernel, x, node.GetInt("group", 1));
        b.AddCotangent(x, b.ReshapeToCotangentOf(dx, x));
    }

    /// <summary>
    /// Whether the weight is constant with one input and one output channel per group (a depthwise convolution). Only those
    /// take a Conv adjoint: ONNX Runtime's ConvTranspose is slow on depthwise weights, while for ordinary convolutions its
    /// GEMM-based ConvTranspose is faster than a Conv adjoint.
    /// </summary>
    private static bool IsDepthwise(GradientGraphBuilder b, string weight, long group) =>
        group > 1 && b.ConstantValue(weight)?.Dims is { Count: > 2 } dims && dims[0] == group && dims[1] == 1;

    /// <summary>
    /// For a stride-1 convolution with fixed padding p ≤ (k − 1)·d on each side, the padding (k − 1)·d − p under which the
    /// adjoint of a depthwise convolution is itself a Conv (with <see cref="FlippedKernel"/>) whose output has exactly the
    /// input's size; null otherwise.
    /// </summary>
    private static long[]? StrideOneAdjointPads(NodeProto node, long[] kernel, long[] strides, long[] dilations, string autoPad)
    {
        var rank = kernel.Length;
        if (strides.Any(s => s != 1) || dilations.Length != rank || autoPad is not ("NOTSET" or "VALID"))
        {
            return null;
        }
        var pads = autoPad == "VALID" ? new long[2 * rank] : node.GetInts("pads") ?? new long[2 * rank];
        var adjoint = pads.Select((p, i) => (kernel[i % rank] - 1) * dilations[i % rank] - p).ToArray();
        return pads.Length == 2 * rank && adjoint.All(p => p >= 0) ? adjoint : null;
    }

    /// <summary>
    /// The weight of a depthwise convolution's adjoint Conv: the kernel flipped along every spatial axis (one input and one
    /// output channel per group, so nothing to transpose).
    /// </summary>
    private static string FlippedKernel(GradientGraphBuilder b, string weight, int rank)
    {
        var axes = Enumerable.Range(2, rank).Select(i => (long)i).ToArray();
        return b.Node("Slice", [weight, b.Int64s([.. axes.Select(_ => -1L)]), b.Int64s([.. axes.Select(_ => long.MinValue)]), b.Int64s(axes),
            b.Int64s([.. axes.Select(_ => -1L)])]);
    }

    /// <summary>
    /// The adjoint of a convolution-like forward node (Conv, AveragePool) applied to a folded cotangent
    /// [B, M, out…]: ConvTranspose with the forward weight, strides, dilations and group and no padding,
    /// then cropped to the forward input's extent [pad_begin, pad_begin + in) and zero-filled at the end
    /// where no window reached. Works for dynamic spatial sizes and every auto_pad mode.
    /// </summary>
    private static string ConvolutionAdjoint(GradientGraphBuilder b, NodeProto node, string folded, string weight, long[] kernel, string x, long group)
    {
        var rank = kernel.Length;
        var strides = node.GetInts("strides") ?? [.. Enumerable.Repeat(1L, rank)];
        var dilations = node.GetInts("dilations") ?? [.. Enumerable.Repeat(1L, rank)];
        var autoPad = node.GetString("auto_pad", "NOTSET");
        if (IsDepthwise(b, weight, group) && StrideOneAdjointPads(node, kernel, strides, dilations, autoPad) is { } adjointPads)
        {
            return b.Node("Conv", [folded, FlippedKernel(b, weight, rank)],
                Ints("pads", adjointPads), Ints("dilations", dilations), Int("group", group), Ints("kernel_shape", kernel));
        }
        var inputSize = b.Node("Shape", [x], Int("start", 2));
        string padBegin;
        switch (autoPad)
        {
            case "NOTSET":
                var pads = node.GetInts("pads") ?? new long[2 * rank];
                padBegin = b.Int64s(pads[..rank]);
                break;
            case "VALID":
                padBegin = b.Int64s(new long[rank]);
                break;
            case "SAME_UPPER":
            case "SAME_LOWER":
                // total = max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0); SAME_UPPER puts the extra one at the end.
                var outputSize = b.Node("Shape", [folded], Int("start", 2));
                var extent = kernel.Select((k, i) => (k - 1) * dilations[i] + 1).ToArray();
                var covered = b.Node("Add", [b.Node("Mul", [b.Node("Sub", [outputSize, b.Int64s(1)]), b.Int64s(strides)]), b.Int64s(extent)]);
                var total = b.Node("Max", [b.Node("Sub", [covered, inputSize]), b.Int64s(new long[rank])]);
                var half = b.Node("Div", [total, b.Int64s(2)]);
                padBegin = autoPad == "SAME_UPPER" ? half : b.Node("Sub", [total, half]);
                break;
            default:
                throw new NotSupportedException($"{node.Describe()}: auto_pad '{autoPad}' is not supported.");
        }
        // Pointwise (1×1, stride 1) convolutions take ConvTranspose too: a Conv adjoint (the weight's channel axes swapped)
        // shortens a single gradient call but makes whole attacks no faster.
        var full = b.Node("ConvTranspose", [folded, weight],
            Ints("strides", strides), Ints("dilations", dilations), Int("group", group), Ints("kernel_shape", kernel));
        var spatialAxes = b.Int64s([.. Enumerable.Range(2, rank).Select(i => (long)i)]);
        var cropped = b.Node("Slice", [full, padBegin, b.Node("Add", [padBegin, inputSize]), spatialAxes]);
        var missing = b.Node("Sub", [inputSize, b.Node("Shape", [cropped], Int("start", 2))]);
        var endPads = b.Node("Concat", [b.Int64s(new long[rank]), missing], Int("axis", 0));
        return b.Node("Pad", [cropped, endPads, "", spatialAxes]);
    }
}
