using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.Attacks.Operations;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>DeepFool and PGD on a classifier that states its input preprocessing: per-channel bounds and norms in 8-bit levels.</summary>
public class InputBoundsTests
{
    /// <summary>torchvision's ImageNet normalisation: every channel has other bounds and another size of one level.</summary>
    private static readonly ImagePreprocessing Torchvision = new(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    private const int Count = 6;

    /// <summary>Images of random 8-bit pixels, half of them at 0 or 255, so that steps outward leave the valid values.</summary>
    private static float[] EdgyImages(int seed)
    {
        var random = new Random(seed);
        int size = RandomNetworks.Rgb.Size;
        var images = new float[Count * size];
        for (int i = 0; i < Count; i++)
        {
            var rgba = new byte[4 * size / 3];
            for (int p = 0; p < rgba.Length; p++) rgba[p] = (byte)(random.Next(2) == 0 ? random.Next(2) * 255 : random.Next(256));
            Torchvision.Normalize(rgba, images.AsSpan(i * size, size));
        }
        return images;
    }

    private static TorchSharpClassifier Classifier()
    {
        TorchSharpClassifier classifier = RandomNetworks.RgbClassifier(4);
        classifier.InputPreprocessing = Torchvision;
        return classifier;
    }

    /// <summary>How many values of <paramref name="images"/> lie below, at, or above their channel's bounds.</summary>
    private static (int Outside, int AtBound) CountAgainstBounds(float[] images)
    {
        int plane = RandomNetworks.Rgb.Height * RandomNetworks.Rgb.Width, outside = 0, atBound = 0;
        for (int p = 0; p < images.Length; p++)
        {
            (float min, float max) = Torchvision.ChannelBounds(p / plane % 3);
            if (images[p] < min || images[p] > max) outside++;
            else if (images[p] == min || images[p] == max) atBound++;
        }
        return (outside, atBound);
    }

    // Fails if PGD clips with one range for all channels, or falls back to [0, 1] when the classifier states its preprocessing.
    [Fact]
    public void PgdStaysWithinEachChannelsValuesByDefault()
    {
        using TorchSharpClassifier classifier = Classifier();
        float[] images = EdgyImages(seed: 1);
        var options = new PgdOptions { Epsilon = 1.5, StepSize = 0.5, Steps = 4 };

        PerturbationResult[] clipped = new PgdAttack(classifier, options).Run(images);
        PerturbationResult[] free = new PgdAttack(classifier,
            options with { ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity }).Run(images);

        (int outside, int atBound) = CountAgainstBounds(clipped.SelectMany(r => r.AdversarialImage).ToArray());
        Assert.Equal(0, outside);
        Assert.True(atBound > 100, $"only {atBound} values at a bound");
        Assert.True(CountAgainstBounds(free.SelectMany(r => r.AdversarialImage).ToArray()).Outside > 100);
    }

    // Fails if DeepFool ignores the classifier's preprocessing (its default had no bounds).
    [Fact]
    public void DeepFoolStaysWithinEachChannelsValuesByDefault()
    {
        using TorchSharpClassifier classifier = Classifier();
        float[] images = EdgyImages(seed: 2);
        var options = new DeepFoolOptions { CandidateCount = 3, OvershootFraction = 2, MaxIterations = 5 };

        PerturbationResult[] clipped = new DeepFoolAttack(classifier, options).Run(images);
        PerturbationResult[] free = new DeepFoolAttack(classifier,
            options with { ClipMin = float.NegativeInfinity, ClipMax = float.PositiveInfinity }).Run(images);

        Assert.Equal(0, CountAgainstBounds(clipped.SelectMany(r => r.AdversarialImage).ToArray()).Outside);
        Assert.True(CountAgainstBounds(free.SelectMany(r => r.AdversarialImage).ToArray()).Outside > 0);
    }

    [Fact]
    public void AnExplicitBoundOverridesTheClassifiersForEveryChannelAndAnEmptyOneIsRefused()
    {
        using TorchSharpClassifier classifier = Classifier();
        float[] images = EdgyImages(seed: 3);
        PerturbationResult[] results = new PgdAttack(classifier, new PgdOptions { Epsilon = 3, StepSize = 1, Steps = 3, ClipMax = 0.5f }).Run(images);
        int plane = RandomNetworks.Rgb.Height * RandomNetworks.Rgb.Width;
        float[] all = results.SelectMany(r => r.AdversarialImage).ToArray();
        for (int p = 0; p < all.Length; p++)
        {
            Assert.True(all[p] <= 0.5f);
            Assert.True(all[p] >= Torchvision.ChannelBounds(p / plane % 3).Min);
        }
        var error = Assert.Throws<ArgumentException>(() => new DeepFoolAttack(classifier, new DeepFoolOptions { ClipMin = 2.5f }));
        Assert.Contains("Channel 0", error.Message);
    }

    // Fails if the level norms use Scale/Std instead of 255·Std/Scale, or one channel's factor for all.
    [Fact]
    public void NormsInLevelsScaleEachChannelsChangeByItsLevelsPerUnit()
    {
        using TorchSharpClassifier classifier = Classifier();
        float[] images = EdgyImages(seed: 4);
        PerturbationResult[] results = new PgdAttack(classifier, new PgdOptions { Epsilon = 0.05, StepSize = 0.02, Steps = 3 }).Run(images);
        int plane = RandomNetworks.Rgb.Height * RandomNetworks.Rgb.Width;
        foreach (PerturbationResult result in results)
        {
            double sum = 0, max = 0;
            for (int p = 0; p < result.Perturbation.Length; p++)
            {
                double levels = Math.Abs(result.Perturbation[p]) * 255 * Torchvision.Std[p / plane];
                sum += levels * levels;
                max = Math.Max(max, levels);
            }
            Assert.Equal(Math.Sqrt(sum), result.LevelL2!.Value, tolerance: 1e-4);
            Assert.Equal(max, result.LevelLInf!.Value, tolerance: 1e-4);
            Assert.True(result.LevelLInf > 0);
        }

        using TorchSharpClassifier unstated = RandomNetworks.RgbClassifier(4);
        PerturbationResult plain = new PgdAttack(unstated, new PgdOptions { Steps = 1 }).Run(images.AsMemory(0, RandomNetworks.Rgb.Size))[0];
        Assert.Null(plain.LevelL2);
        Assert.Null(plain.LevelLInf);
    }

    [Fact]
    public void APreprocessingOfAnotherChannelCountIsRefusedNamingBoth()
    {
        using TorchSharpClassifier classifier = RandomNetworks.RgbClassifier(4);
        var error = Assert.Throws<ArgumentException>(() => classifier.InputPreprocessing = new ImagePreprocessing(ChannelOrder.Gray));
        Assert.Contains("1 channel", error.Message);
        Assert.Contains("takes 3", error.Message);
        Assert.Null(classifier.InputPreprocessing);
    }
}
