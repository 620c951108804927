using Adef.MLNet.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Reads the attack's input column of the current row into C·H·W floats: a pixel vector as it is, or an
/// image (<see cref="MLImage"/>) converted to channel planes by the transform's <see cref="ImagePreprocessing"/>.
/// </summary>
internal static class PixelColumnReader
{
    /// <summary>A reader of <paramref name="column"/> on <paramref name="row"/> that fills a span of C·H·W values.</summary>
    public static Action<Span<float>> Create(DataViewRow row, DataViewSchema.Column column, AttackMapping mapping)
    {
        if (column.Type is ImageDataViewType)
        {
            ValueGetter<MLImage> getImage = row.GetGetter<MLImage>(column);
            ImagePreprocessing preprocessing = mapping.ImagePreprocessing!; // an image column was checked to fit 1 or 3 channels
            return destination =>
            {
                MLImage image = null!;
                getImage(ref image);
                CopyImage(image, destination, mapping, preprocessing, row.Position);
            };
        }

        ValueGetter<VBuffer<float>> getPixels = row.GetGetter<VBuffer<float>>(column);
        VBuffer<float> pixels = default;
        return destination =>
        {
            getPixels(ref pixels);
            if (pixels.Length != destination.Length)
                throw new InvalidOperationException(
                    $"{mapping.AttackName}: row {row.Position} of column '{mapping.InputColumnName}' holds {pixels.Length} values, not {destination.Length}.");
            pixels.CopyTo(destination);
        };
    }

    private static void CopyImage(MLImage? image, Span<float> destination, AttackMapping mapping, ImagePreprocessing preprocessing, long position)
    {
        var shape = mapping.Shape;
        string where = $"{mapping.AttackName}: row {position} of image column '{mapping.InputColumnName}'";
        if (image is null)
            throw new InvalidOperationException($"{where} holds no image (was the file missing? LoadImages gives null for unreadable files).");
        if (image.Height != shape.Height || image.Width != shape.Width)
            throw new InvalidOperationException(
                $"{where} is {image.Height}×{image.Width} pixels; the classifier takes {shape.Height}×{shape.Width} (resize it, e.g. with ResizeImages).");
        PixelLayout layout = image.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => PixelLayout.Bgra,
            MLPixelFormat.Rgba32 => PixelLayout.Rgba,
            _ => throw new InvalidOperationException($"{where} has pixel format {image.PixelFormat}; Bgra32 or Rgba32 is needed."),
        };
        preprocessing.Normalize(image.Pixels[..(4 * shape.Height * shape.Width)], destination, layout);
    }
}
