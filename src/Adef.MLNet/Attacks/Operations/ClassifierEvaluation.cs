namespace Adef.MLNet.Attacks.Operations;

/// <summary>
/// What one classifier call returns to the attack driver: small per-image values on the host and, when
/// asked for, the margin gradients in rows (where the operations compute).
/// </summary>
internal sealed class ClassifierEvaluation(int count, int targetsPerImage) : IDisposable
{
    /// <summary>Number of images n.</summary>
    public int Count { get; } = count;

    /// <summary>K (0 without gradients).</summary>
    public int TargetsPerImage { get; } = targetsPerImage;

    /// <summary>argmax of each image's logits (the first maximal one).</summary>
    public int[] Labels { get; } = new int[count];

    /// <summary>Largest minus second-largest logit.</summary>
    public float[] TopTwoGaps { get; } = new float[count];

    /// <summary>Whether the logits (and, with gradients, the gradients) of the image are all finite.</summary>
    public bool[] Finite { get; } = new bool[count];

    /// <summary>The logit at the label of each image.</summary>
    public float[] LabelLogits { get; } = new float[count];

    /// <summary>The logit at each image's reference label (when the call named them; otherwise empty).</summary>
    public float[] ReferenceLogits { get; set; } = Array.Empty<float>();

    /// <summary>The logits at the targets, n·K.</summary>
    public float[] TargetLogits { get; } = new float[count * targetsPerImage];

    /// <summary>All logits, n·L, when the call chose the targets by rank or was asked for them (the admission of fresh images);
    /// otherwise empty.</summary>
    public float[] Logits { get; init; } = Array.Empty<float>();

    /// <summary>The targets, n·K, when the call chose them by rank; otherwise empty (the caller named them).</summary>
    public int[] Targets { get; init; } = Array.Empty<int>();

    /// <summary>The margin gradients, rows of K·C planes; <see langword="null"/> without targets.</summary>
    public IRows? Gradients { get; set; }

    /// <summary>Releases the gradients.</summary>
    public void Dispose() => Gradients?.Dispose();
}
