using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Google.Protobuf;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>PGD through a backend without its own loss gradient (ONNX Runtime: the seam's default from margin gradients).</summary>
public class PgdOnnxTests
{
    [Fact]
    public void PgdThroughOnnxStaysInTheBallAndItsFlagsAgreeWithTheModel()
    {
        using var classifier = new OnnxClassifier(TinyModels.Classifier(batch: "N").ToByteArray());
        const int count = 30, size = TinyModels.ImageSize;
        float[] images = TinyModels.RandomImages(count, seed: 21).Select(v => (v + 1) / 2).ToArray(); // in [0, 1]
        var options = new PgdOptions { Epsilon = 0.4, StepSize = 0.05, Steps = 15, BatchSize = 7 };
        PerturbationResult[] results = new PgdAttack(classifier, options).Run(images);

        Assert.True(results.Count(r => r.Success) >= 5, $"only {results.Count(r => r.Success)} of {count} fooled");
        foreach (PerturbationResult result in results)
        {
            for (int p = 0; p < size; p++)
            {
                Assert.True(Math.Abs(result.AdversarialImage[p] - images[result.Index * size + p]) <= options.Epsilon + 1e-6);
                Assert.InRange(result.AdversarialImage[p], 0f, 1f);
            }
            int label = ModelChecks.LabelOf(classifier, result.AdversarialImage);
            Assert.Equal(result.AdversarialLabel, label);
            Assert.Equal(result.Success, label != result.OriginalLabel);
            // PGD ascends the loss of the label attacked: its logit margin to the best other label shrinks.
            Assert.True(Margin(TinyModels.ExpectedLogits(result.AdversarialImage), result.OriginalLabel)
                < Margin(TinyModels.ExpectedLogits(images.AsSpan(result.Index * size, size)), result.OriginalLabel) + 1e-5);
        }
    }

    private static float Margin(float[] logits, int label) => logits[label] - logits.Where((_, k) => k != label).Max();
}
