using Adef.Experiments;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.TestSupport;

/// <summary>
/// The inputs of the adef tool's end-to-end tests, in a temporary folder: an untrained MNIST-A (weights from seed 11)
/// exported to ONNX and an idx file of random 28×28 digits (bytes from seed 4).
/// </summary>
internal sealed class CliInputs : IDisposable
{
    public CliInputs(int images)
    {
        Model = Temp.File("mnist-a.onnx");
        manual_seed(11);
        MnistOnnxExporter.Save(new MnistA(), Model);
        Pixels = new byte[images * 28 * 28];
        new Random(4).NextBytes(Pixels);
        Images = WriteIdx("digits-images-idx3-ubyte", [images, 28, 28], Pixels);
    }

    public TempFolder Temp { get; } = new();

    /// <summary>The ONNX model.</summary>
    public string Model { get; }

    /// <summary>The idx image file.</summary>
    public string Images { get; }

    /// <summary>The digits' bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Writes an idx file of <paramref name="dimensions"/> into the folder; returns its path.</summary>
    public string WriteIdx(string name, int[] dimensions, byte[] data)
    {
        string path = Temp.File(name);
        File.WriteAllBytes(path, IdxBytes.Of(dimensions, data));
        return path;
    }

    public void Dispose() => Temp.Dispose();
}
