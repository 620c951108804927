using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;
using Adef.Samples;
using Microsoft.ML;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The mlnet command's PNG digits through ML.NET's image front end: every grey byte and the label in the file name survive the round trip.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public class MlNetCommandPiecesTests
{
    [Fact]
    public void PngDigitsReadBackAsTheSamePixelsAndLabels()
    {
        string folder = Path.Combine(Path.GetTempPath(), "adef-mlnet-png-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var pixels = new float[3 * 784];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (i * 37 % 256) / 255f;
            var digits = new LabeledImages(pixels, [7, 0, 9], 1, 28, 28);

            MlNetCommand.WritePngs(digits, folder);
            MlNetCommand.FileRow[] files = MlNetCommand.ListPngs(folder);
            var ml = new MLContext(seed: 1);
            IDataView data = ml.Data.LoadFromEnumerable(files);
            MlNetCommand.PixelRow[] rows = ml.Data.CreateEnumerable<MlNetCommand.PixelRow>(
                MlNetCommand.FrontEnd(ml, folder).Fit(data).Transform(data), reuseRowObject: false).ToArray();

            Assert.Equal(["00000-7.png", "00001-0.png", "00002-9.png"], files.Select(r => r.ImagePath));
            Assert.Equal([7, 0, 9], files.Select(r => r.Label));
            Assert.Equal(files.Select(f => f.ImagePath), rows.Select(r => r.ImagePath));
            // ExtractPixels multiplies each byte by the float 1/255 (not a division): compare the bytes.
            for (int d = 0; d < 3; d++)
                Assert.Equal(digits.Image(d).ToArray().Select(v => (int)MathF.Round(v * 255)), rows[d].Pixels.Select(v => (int)MathF.Round(v * 255)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
