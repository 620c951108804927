using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Tests.TestSupport;

public static class ModelChecks
{
    /// <summary>The label of one image, evaluated alone (batch of one).</summary>
    public static int LabelOf(IDifferentiableClassifier classifier, float[] image)
    {
        var logits = new float[classifier.ClassCount];
        classifier.ComputeLogits(image, 1, logits);
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
