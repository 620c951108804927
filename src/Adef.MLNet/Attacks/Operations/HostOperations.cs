using System.Buffers;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Imaging;

namespace Adef.MLNet.Attacks.Operations;

/// <summary>
/// <see cref="AttackOperations"/> on host arrays: the span kernels of <c>Imaging/</c> run in parallel over images,
/// and the classifier is called through its span seam. These are the numbers docs/algorithms.md specifies, bit for bit.
/// </summary>
internal sealed partial class HostOperations(IDifferentiableClassifier classifier) : AttackOperations
{
    private readonly ImageShape _shape = classifier.InputShape;
    private readonly int _plane = classifier.InputShape.Height * classifier.InputShape.Width;

    internal override IRows Upload(ReadOnlySpan<float> values, int count, int planes)
    {
        var rows = new HostRows(count, planes, _plane);
        values.CopyTo(rows.Span);
        return rows;
    }

    internal override IRows Zeros(int count, int planes)
    {
        var rows = new HostRows(count, planes, _plane);
        rows.Span.Clear();
        return rows;
    }

    internal override IRows Gather(IRows rows, ReadOnlySpan<int> indices)
    {
        var source = Host(rows);
        var result = new HostRows(indices.Length, source.Planes, _plane);
        for (int j = 0; j < indices.Length; j++) source.Row(indices[j]).CopyTo(result.Row(j));
        return result;
    }

    internal override IRows Concat(IRows first, IRows second)
    {
        HostRows a = Host(first), b = Host(second);
        var result = new HostRows(a.Count + b.Count, a.Planes, _plane);
        a.Span.CopyTo(result.Span);
        b.Span.CopyTo(result.Span[a.Span.Length..]);
        return result;
    }

    internal override void Scatter(IRows destination, ReadOnlySpan<int> indices, IRows source)
    {
        HostRows target = Host(destination), values = Host(source);
        for (int j = 0; j < indices.Length; j++) values.Row(j).CopyTo(target.Row(indices[j]));
    }

    internal override float[] Download(IRows rows) => Host(rows).Span.ToArray();

    internal override float[] Logits(IRows images)
    {
        var x = Host(images);
        var logits = new float[x.Count * classifier.ClassCount];
        classifier.ComputeLogits(x.Span, x.Count, logits);
        return logits;
    }

    internal override (IRows Dx, IRows Dy) ImageGradient(IRows images)
    {
        var x = Host(images);
        int c = _shape.Channels, h = _shape.Height, w = _shape.Width;
        HostRows dx = new(x.Count, c, _plane), dy = new(x.Count, c, _plane);
        Parallel.For(0, x.Count, i => Imaging.ImageGradient.Compute(x.Row(i), dx.Row(i), dy.Row(i), c, h, w));
        return (dx, dy);
    }

    internal override IRows ProjectOntoImageGradient(IRows gradients, IRows dx, IRows dy)
    {
        HostRows g = Host(gradients), gx = Host(dx), gy = Host(dy);
        int channels = gx.Planes, blocks = g.Planes / channels, plane = _plane;
        var alpha = new HostRows(g.Count, 2 * blocks, _plane);
        Parallel.For(0, g.Count * blocks, ib =>
        {
            int i = ib / blocks, b = ib % blocks;
            Span<float> a = alpha.Row(i).Slice(b * 2 * plane, 2 * plane);
            ReadOnlySpan<float> gb = g.Row(i).Slice(b * channels * plane, channels * plane);
            ReadOnlySpan<float> dxi = gx.Row(i), dyi = gy.Row(i);
            a.Clear();
            Span<float> ax = a[..plane], ay = a[plane..];
            for (int c = 0; c < channels; c++)
            {
                ReadOnlySpan<float> gc = gb.Slice(c * plane, plane), dxc = dxi.Slice(c * plane, plane), dyc = dyi.Slice(c * plane, plane);
                for (int p = 0; p < plane; p++)
                {
                    ax[p] += gc[p] * dxc[p];
                    ay[p] += gc[p] * dyc[p];
                }
            }
        });
        return alpha;
    }

    internal override IRows Smooth(IRows planes, float[] kernel)
    {
        var source = Host(planes);
        var result = new HostRows(source.Count, source.Planes, _plane);
        int h = _shape.Height, w = _shape.Width, p = source.Planes;
        Parallel.For(0, source.Count,
            () => ArrayPool<float>.Shared.Rent(GaussianSmoothing.ScratchLength(h, w)),
            (i, _, scratch) =>
            {
                GaussianSmoothing.Apply(source.Row(i), result.Row(i), p, h, w, kernel, scratch);
                return scratch;
            },
            scratch => ArrayPool<float>.Shared.Return(scratch));
        return result;
    }

    internal override double[] SquaredNorms(IRows rows, int blocks) => PerBlock(rows, blocks, static values =>
    {
        double sum = 0;
        foreach (float v in values) sum += (double)v * v;
        return sum;
    });

    internal override double[] L1Norms(IRows rows, int blocks) => PerBlock(rows, blocks, static values =>
    {
        double sum = 0;
        foreach (float v in values) sum += Math.Abs(v);
        return sum;
    });

    internal override double[] TNorms(IRows fields, int blocks)
    {
        int h = _shape.Height, w = _shape.Width;
        return PerBlock(fields, blocks, values => FieldNorms.TNorm(values, h, w));
    }

    internal override IRows AddScaled(IRows baseRows, IRows directions, float[] scales)
    {
        HostRows b = Host(baseRows), d = Host(directions);
        int length = b.RowLength, blocks = d.RowLength / length;
        var result = new HostRows(b.Count, d.Planes, _plane);
        Parallel.For(0, b.Count * blocks, ib =>
        {
            int i = ib / blocks, k = ib % blocks;
            ReadOnlySpan<float> field = b.Row(i), direction = d.Row(i).Slice(k * length, length);
            Span<float> target = result.Row(i).Slice(k * length, length);
            float scale = scales[ib];
            for (int p = 0; p < length; p++) target[p] = field[p] + scale * direction[p];
        });
        return result;
    }

    internal override IRows SelectBlocks(IRows rows, int blocks, ReadOnlySpan<int> rowIndices, ReadOnlySpan<int> blockIndices)
    {
        var source = Host(rows);
        int length = source.RowLength / blocks;
        var result = new HostRows(rowIndices.Length, source.Planes / blocks, _plane);
        for (int j = 0; j < rowIndices.Length; j++)
            source.Row(rowIndices[j]).Slice(blockIndices[j] * length, length).CopyTo(result.Row(j));
        return result;
    }

    internal override void AddScaledInPlace(IRows target, IRows directions, float[] scales, bool signOnly)
    {
        HostRows t = Host(target), d = Host(directions);
        Parallel.For(0, t.Count, i =>
        {
            Span<float> r = t.Row(i);
            ReadOnlySpan<float> g = d.Row(i);
            float scale = scales[i];
            if (signOnly)
                for (int p = 0; p < r.Length; p++) r[p] += scale * MathF.Sign(g[p]);
            else
                for (int p = 0; p < r.Length; p++) r[p] += scale * g[p];
        });
    }

    internal override IRows Scale(IRows rows, double[] factors)
    {
        var source = Host(rows);
        var result = new HostRows(source.Count, source.Planes, _plane);
        Parallel.For(0, source.Count, i =>
        {
            ReadOnlySpan<float> v = source.Row(i);
            Span<float> target = result.Row(i);
            double factor = factors[i];
            for (int p = 0; p < v.Length; p++) target[p] = (float)(v[p] * factor);
        });
        return result;
    }

    internal override IRows Warp(IRows images, IRows fields)
    {
        HostRows x = Host(images), tau = Host(fields);
        var result = new HostRows(x.Count, x.Planes, _plane);
        int c = _shape.Channels, h = _shape.Height, w = _shape.Width;
        Parallel.For(0, x.Count, i => BilinearWarp.Apply(x.Row(i), tau.Row(i), result.Row(i), c, h, w));
        return result;
    }

    internal override IRows AddScaledClamped(IRows original, IRows r, float factor, ValueBounds bounds)
    {
        HostRows x = Host(original), d = Host(r);
        var result = new HostRows(x.Count, x.Planes, _plane);
        Parallel.For(0, x.Count, i =>
        {
            ReadOnlySpan<float> o = x.Row(i), ri = d.Row(i);
            Span<float> target = result.Row(i);
            for (int p = 0; p < target.Length; p++)
            {
                int c = p / _plane;
                target[p] = Math.Clamp(o[p] + factor * ri[p], bounds.Min[c], bounds.Max[c]);
            }
        });
        return result;
    }

    internal override IRows ProjectOntoBall(IRows values, IRows centres, float epsilon, ValueBounds bounds)
    {
        HostRows v = Host(values), o = Host(centres);
        var result = new HostRows(v.Count, v.Planes, _plane);
        Parallel.For(0, v.Count, i =>
        {
            ReadOnlySpan<float> vi = v.Row(i), oi = o.Row(i);
            Span<float> target = result.Row(i);
            for (int p = 0; p < target.Length; p++)
            {
                int c = p / _plane;
                target[p] = Math.Clamp(Math.Clamp(vi[p], oi[p] - epsilon, oi[p] + epsilon), bounds.Min[c], bounds.Max[c]);
            }
        });
        return result;
    }

    internal override bool[] AllFinite(IRows rows)
    {
        var source = Host(rows);
        var finite = new bool[source.Count];
        Parallel.For(0, source.Count, i => finite[i] = AllFinite(source.Row(i)));
        return finite;
    }

    public override void Dispose()
    {
    }

    private delegate double BlockNorm(ReadOnlySpan<float> values);

    private static double[] PerBlock(IRows rows, int blocks, BlockNorm norm)
    {
        var source = Host(rows);
        int length = source.RowLength / blocks;
        var result = new double[source.Count * blocks];
        Parallel.For(0, result.Length, ib => result[ib] = norm(source.Row(ib / blocks).Slice(ib % blocks * length, length)));
        return result;
    }

    private static bool AllFinite(ReadOnlySpan<float> values) => values.IndexOfAnyExceptInRange(float.MinValue, float.MaxValue) < 0;

    private static HostRows Host(IRows rows) =>
        rows as HostRows ?? throw new ArgumentException($"Expected host rows, got {rows.GetType().Name}.", nameof(rows));
}
