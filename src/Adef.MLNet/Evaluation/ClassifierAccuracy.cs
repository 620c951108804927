using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;

namespace Adef.MLNet.Evaluation;

/// <summary>Top-1 predictions and accuracy of an <see cref="IDifferentiableClassifier"/>.</summary>
public static class ClassifierAccuracy
{
    /// <summary>The argmax label of each image, evaluated in batches of <paramref name="batchSize"/>.</summary>
    public static int[] Predict(IDifferentiableClassifier classifier, ReadOnlySpan<float> images, int count, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int imageSize = classifier.InputShape.Size;
        int classes = classifier.ClassCount;
        var labels = new int[count];
        var logits = new float[Math.Min(batchSize, Math.Max(count, 1)) * classes];
        for (int start = 0; start < count; start += batchSize)
        {
            int size = Math.Min(batchSize, count - start);
            Span<float> batchLogits = logits.AsSpan(0, size * classes);
            classifier.ComputeLogits(images.Slice(start * imageSize, size * imageSize), size, batchLogits);
            for (int i = 0; i < size; i++) labels[start + i] = Logits.ArgMax(batchLogits.Slice(i * classes, classes));
        }
        return labels;
    }

    /// <summary>Fraction of <paramref name="data"/> whose predicted label equals its label.</summary>
    public static double Accuracy(IDifferentiableClassifier classifier, LabeledImages data, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) return double.NaN;
        int[] predicted = Predict(classifier, data.Pixels, data.Count, batchSize);
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++) if (predicted[i] == data.Labels[i]) correct++;
        return (double)correct / data.Count;
    }
}
