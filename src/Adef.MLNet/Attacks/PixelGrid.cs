using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;

namespace Adef.MLNet.Attacks;

/// <summary>
/// The valid pixel grid of a classifier's input (<see cref="AttackOptions.ValidImages"/>): the values that 8-bit images take
/// once the classifier's <see cref="ImagePreprocessing"/> has converted them. Rounding is that preprocessing's own way to
/// bytes and back, so an image rounded here is bit for bit what a PNG of it gives when read back.
/// </summary>
internal static class PixelGrid
{
    /// <summary>The preprocessing that defines the grid of <paramref name="classifier"/>'s input.</summary>
    /// <exception cref="ArgumentException">The classifier states no preprocessing, or one for another number of channels.</exception>
    public static ImagePreprocessing Of(IDifferentiableClassifier classifier)
    {
        ImagePreprocessing preprocessing = classifier.InputPreprocessing ?? throw new ArgumentException(
            "AttackOptions.ValidImages needs to know how 8-bit pixels become the classifier's input, and the classifier states none: " +
            "set OnnxClassifierOptions.InputPreprocessing (OnnxClassifier; in ML.NET transforms AttackTransformOptions.InputPreprocessing), " +
            "the InputPreprocessing property of TorchSharpClassifier, or implement IDifferentiableClassifier.InputPreprocessing.",
            nameof(classifier));
        preprocessing.RequireChannels(classifier.InputShape.Channels, "the classifier", nameof(classifier));
        return preprocessing;
    }

    /// <summary>Rounds each image of <paramref name="images"/> (<paramref name="imageSize"/> values each) to the grid, in place.</summary>
    public static void Round(ImagePreprocessing preprocessing, float[] images, int imageSize)
    {
        int count = images.Length / imageSize;
        Parallel.For(0, count, i =>
        {
            Span<float> image = images.AsSpan(i * imageSize, imageSize);
            byte[] rgba = preprocessing.Denormalize(image);
            preprocessing.Normalize(rgba, image);
        });
    }

    /// <summary>
    /// Half of the largest channel's step between neighbouring levels, in input units: how far rounding to the grid can
    /// move a value that lies within the channel's bounds.
    /// </summary>
    public static double HalfLevel(ImagePreprocessing preprocessing) =>
        Enumerable.Range(0, preprocessing.Channels).Max(c => 0.5 / preprocessing.LevelsPerUnit(c));
}
