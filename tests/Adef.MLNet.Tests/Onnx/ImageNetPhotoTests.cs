using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.Onnx;
using SkiaSharp;

namespace Adef.MLNet.Tests.Onnx;

/// <summary>
/// The labelled photos of ../shared/data/imagenet: the ONNX backend must reproduce the top-1 predictions recorded
/// in labels.csv (computed independently), which checks the opset upgrade and the preparation on real networks.
/// </summary>
public class ImageNetPhotoTests
{
    private const int Side = 224;

    private sealed record Photo(string Path, int Label, int SqueezeNetTop1, int MobileNetTop1);

    private static List<Photo> Photos()
    {
        string model = SharedModels.Require("squeezenet1.1/squeezenet1.1_fp32_batchN_logits.onnx");
        string folder = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(model)!, "..", "..", "imagenet"));
        string csv = Path.Combine(folder, "labels.csv");
        Skip.IfNot(File.Exists(csv), $"'{csv}' is absent; skipping this integration test.");
        return File.ReadLines(csv).Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            string[] fields = line.Split(',');
            return new Photo(Path.Combine(folder, fields[0]), int.Parse(fields[1]), int.Parse(fields[^3]), int.Parse(fields[^2]));
        }).ToList();
    }

    /// <summary>The photo resized to 224×224 (bilinear from the nearest mipmap level), as planar R, G, B bytes in [0, 255].</summary>
    private static float[] Rgb224(string path)
    {
        using var decoded = SKBitmap.Decode(path) ?? throw new InvalidDataException($"'{path}' could not be decoded.");
        using var resized = decoded.Resize(new SKImageInfo(Side, Side, SKColorType.Rgba8888, SKAlphaType.Premul),
            new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest)); // SkiaSharp 2.88's SKFilterQuality.Medium
        var planes = new float[3 * Side * Side];
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                SKColor color = resized.GetPixel(x, y);
                int offset = y * Side + x;
                planes[offset] = color.Red;
                planes[Side * Side + offset] = color.Green;
                planes[2 * Side * Side + offset] = color.Blue;
            }
        return planes;
    }

    private static int[] Top1(OnnxClassifier classifier, List<Photo> photos, Func<float[], float[]> preprocess)
    {
        float[] batch = photos.SelectMany(p => preprocess(Rgb224(p.Path))).ToArray();
        var logits = new float[photos.Count * 1000];
        classifier.ComputeLogits(batch, photos.Count, logits);
        return Enumerable.Range(0, photos.Count).Select(i => Logits.ArgMax(logits.AsSpan(i * 1000, 1000))).ToArray();
    }

    [SkippableFact]
    public void SqueezeNetReproducesTheRecordedPredictions()
    {
        List<Photo> photos = Photos();
        using var classifier = new OnnxClassifier(SharedModels.Require("squeezenet1.1/squeezenet1.1_fp32_batchN_logits.onnx"));
        // BGR, 0–255 minus the per-channel mean (104, 117, 123).
        int[] predicted = Top1(classifier, photos, rgb =>
        {
            int plane = Side * Side;
            var bgr = new float[rgb.Length];
            float[] mean = { 104, 117, 123 };
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < plane; i++) bgr[c * plane + i] = rgb[(2 - c) * plane + i] - mean[c];
            return bgr;
        });
        AssertAgreement(photos, predicted, photos.Select(p => p.SqueezeNetTop1).ToArray(), "SqueezeNet 1.1");
    }

    [SkippableFact]
    public void MobileNetV2ReproducesTheRecordedPredictions()
    {
        List<Photo> photos = Photos();
        using var classifier = new OnnxClassifier(SharedModels.Require("mobilenetv2/mobilenetv2-12-int8_dequantized_fp32.onnx"));
        int[] predicted = Top1(classifier, photos, rgb =>
        {
            int plane = Side * Side;
            float[] mean = { 0.485f, 0.456f, 0.406f }, std = { 0.229f, 0.224f, 0.225f };
            var normalised = new float[rgb.Length];
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < plane; i++) normalised[c * plane + i] = (rgb[c * plane + i] / 255f - mean[c]) / std[c];
            return normalised;
        });
        AssertAgreement(photos, predicted, photos.Select(p => p.MobileNetTop1).ToArray(), "MobileNetV2");
    }

    private static void AssertAgreement(List<Photo> photos, int[] predicted, int[] recorded, string model)
    {
        int agree = predicted.Zip(recorded).Count(p => p.First == p.Second);
        string details = string.Join("; ", photos.Select((p, i) => $"{Path.GetFileName(p.Path)}: {predicted[i]} vs {recorded[i]}"));
        // Resizing differs in detail from the reference's, which flips borderline photos (SqueezeNet: 23 of 30 agree,
        // and two of the seven that differ are right where the reference was wrong). Equality of the logits with
        // the original model is pinned by OnnxZooModelTests.PreparedModelComputesTheSameLogitsAsTheOriginal.
        Assert.True(agree >= photos.Count * 7 / 10, $"{model}: {agree}/{photos.Count} top-1 predictions agree with labels.csv. {details}");
    }
}
