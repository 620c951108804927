using Adef.MLNet.Data;
using Adef.Samples;

namespace Adef.MLNet.Tests.Samples;

/// <summary>The mlnet command's PNG digits: every grey byte and the label in the file name survive the round trip.</summary>
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
            MlNetCommand.FileRow[] rows = MlNetCommand.ReadPngs(folder);

            Assert.Equal(["00000-7.png", "00001-0.png", "00002-9.png"], rows.Select(r => r.ImagePath));
            Assert.Equal([7, 0, 9], rows.Select(r => r.Label));
            for (int d = 0; d < 3; d++) Assert.Equal(digits.Image(d).ToArray(), rows[d].Pixels);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
