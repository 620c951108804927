using OxyPlot;
using OxyPlot.SkiaSharp;
using SkiaSharp;

namespace Adef.MLNet.Evaluation.Plotting;

/// <summary>Renders OxyPlot models into PNG files of an exact pixel size, alone or as a grid of equal panels.</summary>
internal static class PngFigure
{
    /// <summary>Writes <paramref name="model"/> as a <paramref name="width"/> × <paramref name="height"/> PNG.</summary>
    public static void Save(PlotModel model, string path, int width, int height) =>
        SaveGrid([model], columns: 1, width, height, path);

    /// <summary>
    /// Writes the panels row by row, <paramref name="columns"/> per row, each <paramref name="panelWidth"/> ×
    /// <paramref name="panelHeight"/> pixels, as one PNG. A missing file folder is created; an existing file is replaced.
    /// </summary>
    public static void SaveGrid(IReadOnlyList<PlotModel> panels, int columns, int panelWidth, int panelHeight, string path)
    {
        int rows = (panels.Count + columns - 1) / columns;
        using var bitmap = new SKBitmap(new SKImageInfo(checked(columns * panelWidth), checked(rows * panelHeight), SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            for (int i = 0; i < panels.Count; i++)
            {
                using var context = new SkiaRenderContext { RenderTarget = RenderTarget.PixelGraphic, SkCanvas = canvas, UseTextShaping = true };
                using var restore = new SKAutoCanvasRestore(canvas);
                canvas.Translate(i % columns * panelWidth, i / columns * panelHeight);
                canvas.ClipRect(new SKRect(0, 0, panelWidth, panelHeight));
                IPlotModel model = panels[i];
                model.Update(true);
                model.Render(context, new OxyRect(0, 0, panelWidth, panelHeight));
            }
        }

        WritePng(bitmap, path);
    }

    /// <summary>Encodes <paramref name="bitmap"/> as PNG into <paramref name="path"/>, creating its folder.</summary>
    public static void WritePng(SKBitmap bitmap, string path)
    {
        using SKData data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {bitmap.Width}×{bitmap.Height} PNG.");
        string fullPath = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        using FileStream file = File.Create(fullPath);
        data.SaveTo(file);
    }
}
