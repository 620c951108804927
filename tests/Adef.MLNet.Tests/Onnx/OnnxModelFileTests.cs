using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.TestSupport;
using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Tests.Onnx;

public class OnnxModelFileTests
{
    [Fact]
    public void MissingFileIsNamed()
    {
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier("/nonexistent/folder/model.onnx"));
        Assert.Contains("/nonexistent/folder/model.onnx", error.Message);
        Assert.Equal("/nonexistent/folder/model.onnx", error.Path);
    }

    [Fact]
    public void GarbageBytesAreReportedWithThePath()
    {
        using var folder = new TempFolder();
        string path = folder.File("garbage.onnx");
        File.WriteAllBytes(path, "this is not a protobuf model, just text\n"u8.ToArray());
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void EmptyBytesAreRefused()
    {
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(Array.Empty<byte>()));
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void TruncatedModelIsReportedAsTruncated()
    {
        byte[] whole = TinyModels.Classifier(batch: "N").ToByteArray();
        using var folder = new TempFolder();
        string path = folder.File("truncated.onnx");
        File.WriteAllBytes(path, whole.AsSpan(0, whole.Length / 2).ToArray());
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [SkippableFact]
    public void TruncatedRealModelIsReportedWithThePath()
    {
        string original = SharedModels.Require("mnist-zoo/mnist_batchN.onnx");
        byte[] bytes = File.ReadAllBytes(original);
        using var folder = new TempFolder();
        string path = folder.File("mnist-truncated.onnx");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length * 2 / 3).ToArray());
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ModelWithoutGraphIsRefused()
    {
        var model = new ModelProto { IrVersion = 8 };
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(model.ToByteArray()));
        Assert.Contains("no graph", error.Message);
    }

    [Fact]
    public void ExternalDataIsRefusedWithAHint()
    {
        ModelProto model = TinyModels.Classifier(batch: "N");
        TensorProto weights = model.Graph.Initializer[0];
        weights.RawData = ByteString.Empty;
        weights.DataLocation = TensorProto.Types.DataLocation.External;
        weights.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(model.ToByteArray()));
        Assert.Contains(weights.Name, error.Message);
        Assert.Contains("external", error.Message);
    }
}
