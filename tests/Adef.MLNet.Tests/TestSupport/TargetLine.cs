using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// Linear classifiers with four classes along one feature s(x) = ⟨u, x⟩ − s₀ of the image, for targeted attacks:
/// F₀ = 0, F₁ = s − 1, F₂ = 2s − 3, F₃ = 1.5s − 2.1. The label is 0 for s &lt; 1, 1 for 1 &lt; s &lt; 2 and 2 for s &gt; 2, so
/// an image walked from label 0 to label 2 passes label 1. Label 3 is never the argmax of any image (F₃ &gt; F₁ needs
/// s &gt; 2.2, F₃ &gt; F₂ needs s &lt; 1.8): it is unreachable.
/// </summary>
internal static class TargetLine
{
    /// <summary>The slope a_k of each class's logit in s.</summary>
    public static readonly double[] Slopes = [0, 1, 2, 1.5];

    /// <summary>The logit c_k of each class at s = 0.</summary>
    public static readonly double[] Offsets = [0, -1, -3, -2.1];

    /// <summary>The classifier F_k(x) = a_k·(⟨u, x⟩ − s₀) + c_k, with s₀ = ⟨u, <paramref name="origin"/>⟩ (so s = 0 there).</summary>
    public static LinearClassifier Classifier(ImageShape shape, float[] u, float[] origin)
    {
        double s0 = u.Zip(origin, (a, b) => (double)a * b).Sum();
        return new LinearClassifier(shape,
            Slopes.Select(a => u.Select(v => (float)(a * v)).ToArray()).ToArray(),
            Enumerable.Range(0, Slopes.Length).Select(k => (float)(Offsets[k] - Slopes[k] * s0)).ToArray());
    }

    /// <summary>s of an image for <paramref name="classifier"/>, read back from its logits: F₁ − F₀ + 1.</summary>
    public static double Feature(LinearClassifier classifier, ReadOnlySpan<float> image) =>
        classifier.Logit(image, 1) - classifier.Logit(image, 0) + 1;
}
