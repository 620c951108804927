using Adef.MLNet.Attacks;
using Adef.MLNet.Attacks.Operations;
using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// A classifier that also takes and returns torch tensors on its <see cref="TorchDevice"/>, so that attacks keep images,
/// fields and gradients there through all iterations: its <see cref="IDeviceResidentClassifier.CreateAttackOperations"/>
/// runs the attack engines' work as torch operations on that device (<see cref="AttackExecution.ClassifierDevice"/>, and
/// <see cref="AttackExecution.Auto"/> on a GPU). Same semantics as the span seam of <see cref="IDifferentiableClassifier"/>.
/// </summary>
public interface ITensorClassifier : IDeviceResidentClassifier
{
    /// <summary>The TorchSharp device the model runs on and the tensors passed in and returned live on; the same place as
    /// <see cref="IDifferentiableClassifier.Device"/>.</summary>
    Device TorchDevice { get; }

    /// <summary>
    /// Whether cuBLAS and cuDNN may use TF32 (a 10-bit mantissa) for this classifier's work on a GPU, including the attacks'
    /// operations there. Default <see langword="false"/>: full fp32, because TF32 changes the attacks' trajectories.
    /// </summary>
    bool AllowTf32 => false;

    /// <summary>Torch operations on <see cref="TorchDevice"/>, with TF32 as <see cref="AllowTf32"/> says.</summary>
    AttackOperations IDeviceResidentClassifier.CreateAttackOperations() => new TorchOperations(this, AllowTf32);

    /// <summary>The logits of a batch.</summary>
    /// <param name="images">N×C×H×W float32 on <see cref="TorchDevice"/>.</param>
    /// <returns>N×L logits on <see cref="TorchDevice"/>, detached; the caller disposes them.</returns>
    Tensor Logits(Tensor images);

    /// <summary>
    /// Logits and margin gradients: for image i and target j, <c>∇ₓ (F_t − F_c)(xᵢ)</c> with <c>t = targets[i, j]</c>
    /// and <c>c = argmax logits(xᵢ)</c> (the first maximal one).
    /// </summary>
    /// <param name="images">N×C×H×W float32 on <see cref="TorchDevice"/>.</param>
    /// <param name="targets">N×K int64 class indices on <see cref="TorchDevice"/>.</param>
    /// <returns>N×L logits and N×K×C×H×W gradients on <see cref="TorchDevice"/>, detached; the caller disposes them.</returns>
    (Tensor Logits, Tensor Gradients) LogitsAndMarginGradients(Tensor images, Tensor targets);

    /// <summary>
    /// <see cref="LogitsAndMarginGradients"/> for targets chosen from each image's own logits: target j of image i is the
    /// label at rank <c>ranks[j]</c> of its logits sorted descending (ties: the lower label first). The default costs two
    /// forward passes (<see cref="Logits"/>, then <see cref="LogitsAndMarginGradients"/>); a backend with autograd should
    /// override it with one, choosing the targets between its forward and backward passes.
    /// </summary>
    /// <param name="images">N×C×H×W float32 on <see cref="TorchDevice"/>.</param>
    /// <param name="ranks">K ≥ 1 ranks in [0, L).</param>
    /// <returns>N×L logits, the N×K int64 targets and N×K×C×H×W gradients on <see cref="TorchDevice"/>, detached; the caller disposes them.</returns>
    (Tensor Logits, Tensor Targets, Tensor Gradients) LogitsAndRankedMarginGradients(Tensor images, ReadOnlySpan<int> ranks) =>
        TensorRankedTargets.FromTwoCalls(this, images, ranks);

    /// <summary>
    /// Logits and each image's cross-entropy gradient <c>∇ₓ CE(F(xᵢ), yᵢ)</c> (PGD). The default assembles it on the device
    /// from margin gradients, <c>Σ_k (p_k − δ_ky) ∇(F_k − F_c)</c>, in chunks of labels; a backend with autograd should
    /// override it with one backward pass.
    /// </summary>
    /// <param name="images">N×C×H×W float32 on <see cref="TorchDevice"/>.</param>
    /// <param name="labels">N int64 labels y on <see cref="TorchDevice"/>.</param>
    /// <returns>N×L logits and N×C×H×W gradients on <see cref="TorchDevice"/>, detached; the caller disposes them.</returns>
    (Tensor Logits, Tensor Gradients) LogitsAndLossGradients(Tensor images, Tensor labels) =>
        TensorLossGradients.FromMarginGradients(this, images, labels);
}
