namespace Adef.MLNet.Attacks;

/// <summary>Per-image state of an iterative attack: images finish independently. ADef adds its field's norm.</summary>
internal class AttackImageState
{
    public AttackImageState(int index, ReadOnlyMemory<float> original, int originalLabel, int? target)
    {
        Index = index;
        Original = original;
        OriginalLabel = originalLabel;
        Target = target;
        Label = originalLabel;
    }

    /// <summary>Position in the caller's batch.</summary>
    public int Index { get; }

    /// <summary>The clean image (the caller's memory; never written).</summary>
    public ReadOnlyMemory<float> Original { get; }

    /// <summary>The label of the clean image.</summary>
    public int OriginalLabel { get; }

    /// <summary>The label the caller asked this image to reach, or <see langword="null"/> in an untargeted run.</summary>
    public int? Target { get; }

    /// <summary>
    /// The success rule of the three attacks: the final label equals the target when one was given (labels passed on the
    /// way do not count), and differs from the clean label otherwise. ADef's rank-targeted mode has a rule of its own.
    /// </summary>
    public bool Reached(int label) => Target is { } target ? label == target : label != OriginalLabel;

    /// <summary>Labels whose margin gradients each step needs (K of them).</summary>
    public int[] Targets { get; init; } = Array.Empty<int>();

    /// <summary>Iterations completed; the current image (the resident row) is the result of this many steps.</summary>
    public int Iteration { get; set; }

    /// <summary>The classifier's label of the current image at its last evaluation.</summary>
    public int Label { get; set; }

    /// <summary>Difference between the two largest logits at the last evaluation.</summary>
    public float TopTwoGap { get; set; } = float.PositiveInfinity;

    /// <summary>Whether the image rounded to the pixel grid fools the classifier; null until checked (valid images only).</summary>
    public bool? FoolsAfterRounding { get; set; }

    /// <summary>Set when the attack on this image has ended.</summary>
    public AttackOutcome? Outcome { get; private set; }

    /// <summary>Iterations to report (see <see cref="AttackResult.Iterations"/>).</summary>
    public int ReportedIterations { get; private set; }

    public void Finish(AttackOutcome outcome, int reportedIterations)
    {
        Outcome = outcome;
        ReportedIterations = reportedIterations;
    }
}
