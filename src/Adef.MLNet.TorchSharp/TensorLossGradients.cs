using static TorchSharp.torch;

namespace Adef.MLNet.Classifiers.TorchSharp;

/// <summary>
/// The default <see cref="ITensorClassifier.LogitsAndLossGradients"/>: the cross-entropy input gradient assembled on the
/// classifier's device from margin gradients, <c>∇CE = Σ_k (p_k − δ_ky) ∇(F_k − F_c)</c> (the ∇F_c terms cancel because
/// the weights sum to zero), as <see cref="LossGradients"/> does on the host.
/// </summary>
internal static class TensorLossGradients
{
    public static (Tensor Logits, Tensor Gradients) FromMarginGradients(ITensorClassifier classifier, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        long count = images.shape[0], size = classifier.InputShape.Size, classes = classifier.ClassCount;
        if (labels.ndim != 1 || labels.shape[0] != count)
            throw new ArgumentException($"Expected {count} labels, got [{string.Join(", ", labels.shape)}].", nameof(labels));
        using var scope = NewDisposeScope();
        Tensor logits = classifier.Logits(images);
        Tensor gradients = zeros_like(images);
        if (count == 0) return (logits.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
        Tensor current = logits.argmax(1, keepdim: true);
        Tensor weights = softmax(logits.to(float64), 1) - nn.functional.one_hot(labels, classes).to(float64);
        long others = classes - 1;
        long chunk = Math.Clamp(LossGradients.MaxGradientValuesPerCall / (count * size), 1, others);
        for (long start = 0; start < others; start += chunk)
        {
            long k = Math.Min(chunk, others - start);
            Tensor ranks = arange(start, start + k, int64, images.device).unsqueeze(0); // the rank-th label other than the current one
            Tensor targets = ranks + ranks.ge(current).to(int64);
            var (_, margins) = classifier.LogitsAndMarginGradients(images, targets);
            Tensor w = weights.gather(1, targets).to(float32).view(count, k, 1, 1, 1);
            gradients.add_((margins * w).sum(1));
        }
        return (logits.MoveToOuterDisposeScope(), gradients.MoveToOuterDisposeScope());
    }
}
