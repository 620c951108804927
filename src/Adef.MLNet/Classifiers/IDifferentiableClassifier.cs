namespace Adef.MLNet.Classifiers;

/// <summary>
/// The one seam between attacks and models: batched logits, batched input gradients of
/// logit differences ("margins", for ADef and DeepFool) and of the cross-entropy loss (for PGD). Attacks call it
/// only for images still being attacked, with all gradients an iteration needs in one call.
/// </summary>
/// <remarks>
/// Images are passed as one N×C×H×W float32 buffer in the classifier's input space (after any
/// normalisation). Implementations must not keep references to the spans after a call returns.
/// </remarks>
public interface IDifferentiableClassifier
{
    /// <summary>The shape of one input image.</summary>
    ImageShape InputShape { get; }

    /// <summary>Number of classes L (length of one logit vector).</summary>
    int ClassCount { get; }

    /// <summary>
    /// Where the classifier runs its model. Attacks read it to decide where their own per-iteration work runs
    /// (<see cref="Attacks.AttackExecution.Auto"/>) and the ML.NET transforms to check a requested device. Default: the CPU.
    /// </summary>
    ComputeDevice Device => ComputeDevice.Cpu;

    /// <summary>
    /// How 8-bit pixels become this classifier's input (channel order, scale, per-channel mean and std), when the classifier
    /// knows it; <see langword="null"/> (the default) when it does not. The ML.NET transforms convert image columns with it,
    /// DeepFool and PGD clip to the input values of bytes 0 and 255 (<see cref="Data.ImagePreprocessing.ChannelBounds"/>),
    /// and attack results report their perturbations also in pixel units through it.
    /// </summary>
    Data.ImagePreprocessing? InputPreprocessing => null;

    /// <summary>Computes the logits of <paramref name="count"/> images.</summary>
    /// <param name="images"><paramref name="count"/>·C·H·W values.</param>
    /// <param name="count">Number of images N.</param>
    /// <param name="logits">Receives N·L logits, image-major.</param>
    void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits);

    /// <summary>
    /// Computes the logits of <paramref name="count"/> images and, for each image <c>i</c> and each of
    /// its <paramref name="targetsPerImage"/> target labels <c>t = targetLabels[i·K + j]</c>, the
    /// vector-Jacobian product of the logits with the cotangent <c>e_t − e_c</c>, where
    /// <c>c = argmax logits(xᵢ)</c> is the image's current label: <c>∇ₓ (F_t − F_c)(xᵢ)</c>.
    /// </summary>
    /// <param name="images"><paramref name="count"/>·C·H·W values.</param>
    /// <param name="count">Number of images N.</param>
    /// <param name="targetLabels">N·K class indices in [0, L).</param>
    /// <param name="targetsPerImage">K ≥ 1.</param>
    /// <param name="logits">Receives N·L logits.</param>
    /// <param name="gradients">Receives N·K·C·H·W values: gradient j of image i at offset (i·K + j)·C·H·W.</param>
    void ComputeLogitsAndMarginGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients);

    /// <summary>
    /// <see cref="ComputeLogitsAndMarginGradients"/> for targets chosen from each image's own logits: target j of image
    /// i is the label at rank <c>ranks[j]</c> of <c>F(xᵢ)</c> sorted descending (ties: the lower label first; rank 0 is the
    /// current label, rank 1 the runner-up). Attacks use it for an image's first gradients, whose targets are ranks of its
    /// clean logits (ADef's candidates, DeepFool's), so that an image's first forward pass also serves its first step.
    /// </summary>
    /// <remarks>
    /// The default needs only <see cref="ComputeLogits"/> and <see cref="ComputeLogitsAndMarginGradients"/> and costs
    /// their two forward passes; a backend that can pick the targets between its forward and backward passes should
    /// override it with one (the TorchSharp backend does).
    /// </remarks>
    /// <param name="images"><paramref name="count"/>·C·H·W values.</param>
    /// <param name="count">Number of images N.</param>
    /// <param name="ranks">K ≥ 1 ranks in [0, L).</param>
    /// <param name="logits">Receives N·L logits.</param>
    /// <param name="targets">Receives the N·K chosen labels.</param>
    /// <param name="gradients">Receives N·K·C·H·W values: gradient j of image i at offset (i·K + j)·C·H·W.</param>
    /// <exception cref="ArgumentException">A buffer has the wrong length, or no rank is given.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A rank lies outside [0, L).</exception>
    void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients) =>
        RankedTargets.FromTwoCalls(this, images, count, ranks, logits, targets, gradients);

    /// <summary>
    /// Computes the logits of <paramref name="count"/> images and, for each image <c>i</c>, the gradient of its own
    /// cross-entropy loss <c>CE(F(xᵢ), yᵢ) = −log softmax(F(xᵢ))[yᵢ]</c> with respect to the image:
    /// <c>∇ₓ CE = Σ_k p_k ∇ₓF_k − ∇ₓF_y</c>, with <c>p = softmax(F(xᵢ))</c>. The gradient of the batch's mean
    /// cross-entropy is these gradients divided by N (same signs).
    /// </summary>
    /// <remarks>
    /// The default implementation needs only <see cref="ComputeLogits"/> and
    /// <see cref="ComputeLogitsAndMarginGradients"/>, so existing implementations keep working: with <c>c</c> the current
    /// label, <c>∇CE = Σ_k p_k ∇(F_k − F_c) − ∇(F_y − F_c)</c>, evaluated with all L − 1 margin gradients, requested in
    /// chunks of labels so that at most about 16 M gradient values (64 MiB) are held at once whatever L is. It costs one
    /// forward pass plus the margin-gradient calls; a backend with autograd should override it with one backward pass.
    /// </remarks>
    /// <param name="images"><paramref name="count"/>·C·H·W values.</param>
    /// <param name="count">Number of images N.</param>
    /// <param name="labels">N class indices in [0, L): the label y of each image's loss.</param>
    /// <param name="logits">Receives N·L logits.</param>
    /// <param name="gradients">Receives N·C·H·W values: the gradient of image i at offset i·C·H·W.</param>
    /// <exception cref="ArgumentException">A buffer has the wrong length.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A label lies outside [0, L).</exception>
    void ComputeLogitsAndLossGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> labels, Span<float> logits, Span<float> gradients) =>
        LossGradients.FromMarginGradients(this, images, count, labels, logits, gradients);
}
