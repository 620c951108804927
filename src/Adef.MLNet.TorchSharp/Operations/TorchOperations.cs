using Adef.MLNet.Classifiers.TorchSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>
/// <see cref="AttackOperations"/> as torch ops on the classifier's device (CPU or CUDA): rows are tensors that stay
/// there through all iterations; only per-image scalars (labels, flags, norms) and finished images are copied to the host.
/// Every operation runs in its own dispose scope, so intermediate tensors are freed when it returns. On CUDA, TF32 is
/// set as asked for the operations' lifetime (its convolutions would otherwise follow TorchSharp's default, TF32 on).
/// </summary>
internal sealed partial class TorchOperations : AttackOperations
{
    private readonly ITensorClassifier _classifier;
    private readonly Device _device;
    private readonly int _channels, _height, _width;
    private readonly Dictionary<float[], (Tensor Rows, Tensor Columns)> _kernels = new(ReferenceEqualityComparer.Instance);
    private readonly Tf32Scope? _precision;

    public TorchOperations(ITensorClassifier classifier, bool allowTf32)
    {
        _classifier = classifier;
        _device = classifier.TorchDevice;
        _precision = Tf32Scope.Enter(_device, allowTf32);
        (_channels, _height, _width) = (classifier.InputShape.Channels, classifier.InputShape.Height, classifier.InputShape.Width);
    }

    internal override IRows Upload(ReadOnlySpan<float> values, int count, int planes)
    {
        using var scope = NewDisposeScope();
        Tensor host = empty(new long[] { count, planes, _height, _width }, float32);
        if (values.Length > 0) host.data<float>().CopyFrom(values, 0, 0);
        return Rows(_device.type == DeviceType.CPU ? host : host.to(_device));
    }

    internal override IRows Zeros(int count, int planes)
    {
        using var scope = NewDisposeScope();
        return Rows(zeros(new long[] { count, planes, _height, _width }, float32, _device));
    }

    internal override IRows Gather(IRows rows, ReadOnlySpan<int> indices)
    {
        using var scope = NewDisposeScope();
        return Rows(T(rows).index_select(0, Indices(indices)));
    }

    internal override IRows Concat(IRows first, IRows second)
    {
        using var scope = NewDisposeScope();
        return Rows(cat(new[] { T(first), T(second) }, 0));
    }

    internal override void Scatter(IRows destination, ReadOnlySpan<int> indices, IRows source)
    {
        if (indices.Length == 0) return;
        using var scope = NewDisposeScope();
        T(destination).index_copy_(0, Indices(indices), T(source));
    }

    internal override float[] Download(IRows rows)
    {
        using var scope = NewDisposeScope();
        return ToHost<float>(T(rows));
    }

    internal override float[] Logits(IRows images)
    {
        using var scope = NewDisposeScope();
        return ToHost<float>(_classifier.Logits(T(images)));
    }

    internal override (IRows Dx, IRows Dy) ImageGradient(IRows images)
    {
        using var scope = NewDisposeScope();
        Tensor x = T(images);
        return (Rows(Differentiate(x, 3)), Rows(Differentiate(x, 2)));
    }

    internal override IRows ProjectOntoImageGradient(IRows gradients, IRows dx, IRows dy)
    {
        using var scope = NewDisposeScope();
        int n = gradients.Count, k = gradients.Planes / _channels;
        Tensor g = T(gradients).view(n, k, _channels, _height, _width);
        Tensor ax = (g * T(dx).unsqueeze(1)).sum(2);
        Tensor ay = (g * T(dy).unsqueeze(1)).sum(2);
        return Rows(stack(new[] { ax, ay }, 2).view(n, 2 * k, _height, _width));
    }

    internal override IRows Smooth(IRows planes, float[] kernel)
    {
        using var scope = NewDisposeScope();
        var (rowsKernel, columnsKernel) = Kernel(kernel);
        long radius = kernel.Length / 2;
        Tensor x = T(planes).reshape(-1, 1, _height, _width);
        Tensor alongRows = nn.functional.conv2d(x, rowsKernel, padding: new long[] { 0, radius });
        Tensor smoothed = nn.functional.conv2d(alongRows, columnsKernel, padding: new long[] { radius, 0 });
        return Rows(smoothed.view(planes.Count, planes.Planes, _height, _width));
    }

    internal override double[] SquaredNorms(IRows rows, int blocks)
    {
        using var scope = NewDisposeScope();
        return ToHost<double>(Blocks(rows, blocks).square().sum(2));
    }

    internal override double[] L1Norms(IRows rows, int blocks)
    {
        using var scope = NewDisposeScope();
        return ToHost<double>(Blocks(rows, blocks).abs().sum(2));
    }

    internal override double[] TNorms(IRows fields, int blocks)
    {
        using var scope = NewDisposeScope();
        Tensor squares = T(fields).view(fields.Count, blocks, 2, _height * _width).to(float64).square();
        return ToHost<double>((squares.select(2, 0) + squares.select(2, 1)).amax(new long[] { 2 }).sqrt());
    }

    internal override IRows AddScaled(IRows baseRows, IRows directions, float[] scales)
    {
        using var scope = NewDisposeScope();
        int n = baseRows.Count, p = baseRows.Planes, blocks = directions.Planes / p;
        Tensor d = T(directions).view(n, blocks, p, _height, _width);
        Tensor s = Scalars(scales).view(n, blocks, 1, 1, 1);
        return Rows((d * s + T(baseRows).unsqueeze(1)).view(n, blocks * p, _height, _width));
    }

    internal override IRows SelectBlocks(IRows rows, int blocks, ReadOnlySpan<int> rowIndices, ReadOnlySpan<int> blockIndices)
    {
        using var scope = NewDisposeScope();
        var flat = new int[rowIndices.Length];
        for (int j = 0; j < flat.Length; j++) flat[j] = rowIndices[j] * blocks + blockIndices[j];
        Tensor all = T(rows).view(rows.Count * blocks, rows.Planes / blocks, _height, _width);
        return Rows(all.index_select(0, Indices(flat)));
    }

    internal override void AddScaledInPlace(IRows target, IRows directions, float[] scales, bool signOnly)
    {
        if (target.Count == 0) return;
        using var scope = NewDisposeScope();
        Tensor d = signOnly ? T(directions).sign() : T(directions);
        T(target).add_(d * Scalars(scales).view(target.Count, 1, 1, 1));
    }

    internal override IRows Scale(IRows rows, double[] factors)
    {
        using var scope = NewDisposeScope();
        Tensor f = tensor(factors, float64, _device).view(rows.Count, 1, 1, 1);
        return Rows((T(rows).to(float64) * f).to(float32));
    }

    internal override IRows Warp(IRows images, IRows fields)
    {
        using var scope = NewDisposeScope();
        int n = images.Count, plane = _height * _width;
        Tensor tau = T(fields);
        Tensor sx = (arange(_width, float32, _device).view(1, 1, _width) + tau.select(1, 0)).clamp(0, _width - 1);
        Tensor sy = (arange(_height, float32, _device).view(1, _height, 1) + tau.select(1, 1)).clamp(0, _height - 1);
        Tensor floorX = sx.floor(), floorY = sy.floor();
        Tensor fx = (sx - floorX).view(n, 1, plane), fy = (sy - floorY).view(n, 1, plane);
        // A NaN coordinate gives NaN weights (so NaN pixels, as on the host) and must not become an index.
        Tensor x0 = floorX.nan_to_num(0).to(int64), y0 = floorY.nan_to_num(0).to(int64);
        Tensor x1 = (x0 + 1).clamp_max(_width - 1), y1 = (y0 + 1).clamp_max(_height - 1);
        Tensor flat = T(images).view(n, _channels, plane);
        Tensor Corner(Tensor y, Tensor x) => flat.gather(2, (y * _width + x).view(n, 1, plane).expand(n, _channels, plane));
        Tensor a = Corner(y0, x0), b = Corner(y0, x1), c = Corner(y1, x0), d = Corner(y1, x1);
        Tensor blend = (1 - fx) * (1 - fy) * a + fx * (1 - fy) * b + (1 - fx) * fy * c + fx * fy * d;
        // On-grid samples are copied, so zero and integer fields are exact (as BilinearWarp does).
        Tensor onGrid = fx.eq(0).logical_and(fy.eq(0));
        return Rows(where(onGrid, a, blend).view(n, _channels, _height, _width));
    }

    internal override IRows AddScaledClamped(IRows original, IRows r, float factor, ValueBounds bounds)
    {
        using var scope = NewDisposeScope();
        return Rows(Clamp(T(r) * factor + T(original), bounds));
    }

    internal override IRows ProjectOntoBall(IRows values, IRows centres, float epsilon, ValueBounds bounds)
    {
        using var scope = NewDisposeScope();
        Tensor o = T(centres);
        return Rows(Clamp(maximum(minimum(T(values), o + epsilon), o - epsilon), bounds));
    }

    /// <summary><paramref name="x"/> clamped to each channel's bounds: one scalar clamp when all channels share them.</summary>
    private Tensor Clamp(Tensor x, ValueBounds bounds)
    {
        if (bounds.IsUnbounded) return x;
        if (bounds.IsUniform)
        {
            float min = bounds.Min[0], max = bounds.Max[0];
            bool low = !float.IsNegativeInfinity(min), high = !float.IsPositiveInfinity(max);
            return x.clamp(low ? min : null, high ? max : null);
        }
        Tensor lower = tensor(bounds.Min, float32, _device).view(1, _channels, 1, 1);
        Tensor upper = tensor(bounds.Max, float32, _device).view(1, _channels, 1, 1);
        return minimum(maximum(x, lower), upper);
    }

    internal override bool[] AllFinite(IRows rows)
    {
        if (rows.Count == 0) return Array.Empty<bool>();
        using var scope = NewDisposeScope();
        return ToHost<bool>(T(rows).view(rows.Count, -1).isfinite().all(1));
    }

    public override void Dispose()
    {
        _precision?.Dispose();
        foreach (var (rows, columns) in _kernels.Values)
        {
            rows.Dispose();
            columns.Dispose();
        }
        _kernels.Clear();
    }

    /// <summary>numpy.gradient along <paramref name="dim"/>: central inside, one-sided at the ends, 0 for a single sample.</summary>
    private static Tensor Differentiate(Tensor f, long dim)
    {
        long size = f.shape[dim];
        if (size == 1) return zeros_like(f);
        Tensor first = f.narrow(dim, 1, 1) - f.narrow(dim, 0, 1);
        Tensor last = f.narrow(dim, size - 1, 1) - f.narrow(dim, size - 2, 1);
        if (size == 2) return cat(new[] { first, last }, dim);
        Tensor middle = (f.narrow(dim, 2, size - 2) - f.narrow(dim, 0, size - 2)) * 0.5f;
        return cat(new[] { first, middle, last }, dim);
    }

    private (Tensor Rows, Tensor Columns) Kernel(float[] kernel)
    {
        if (_kernels.TryGetValue(kernel, out var cached)) return cached;
        Tensor weights = tensor(kernel, float32, _device);
        var pair = (weights.view(1, 1, 1, kernel.Length).DetachFromDisposeScope(),
            weights.view(1, 1, kernel.Length, 1).DetachFromDisposeScope());
        _kernels[kernel] = pair;
        return pair;
    }

    private Tensor Blocks(IRows rows, int blocks) => T(rows).view(rows.Count, blocks, -1).to(float64);

    private Tensor Indices(ReadOnlySpan<int> indices)
    {
        var values = new long[indices.Length];
        for (int i = 0; i < values.Length; i++) values[i] = indices[i];
        return tensor(values, int64, _device);
    }

    private Tensor Scalars(float[] values) => tensor(values, float32, _device);

    private static T[] ToHost<T>(Tensor tensor) where T : unmanaged
    {
        if (tensor.numel() == 0) return Array.Empty<T>(); // e.g. PGD's empty aux rows
        Tensor host = tensor.detach().contiguous();
        if (host.device_type != DeviceType.CPU) host = host.cpu();
        return host.data<T>().ToArray();
    }

    private static Tensor T(IRows rows) =>
        (rows as TorchRows ?? throw new ArgumentException($"Expected torch rows, got {rows.GetType().Name}.", nameof(rows))).Tensor;

    private static TorchRows Rows(Tensor tensor) => new(tensor);
}
