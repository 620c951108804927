using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Tests.Fuzz;
using Google.Protobuf;
using Onnx;
using static Adef.MLNet.Classifiers.Onnx.OnnxProtos;

namespace Adef.MLNet.Tests.Onnx;

/// <summary>Malformed graphs are refused with <see cref="InvalidModelException"/> before ONNX Runtime parses them.</summary>
public class HostileOnnxModelTests
{
    private static ModelProto Valid() => OnnxModelFuzzTests.TinyConvolutionModel();

    private static InvalidModelException Refused(ModelProto model) =>
        Assert.Throws<InvalidModelException>(() => new OnnxClassifier(model.ToByteArray()));

    [Fact]
    public void CycleIsRefusedNamingANodeOnIt()
    {
        var model = Valid();
        model.Graph.Node[0].Input.Add("logits"); // conv ← fc's output: conv → relu → pool → flatten → fc → conv
        var error = Refused(model);
        Assert.Contains("cycle", error.Message);
        Assert.Equal("conv", error.NodeName);
    }

    [Fact]
    public void DanglingNodeInputIsRefusedNamingTheNodeAndTheTensor()
    {
        var model = Valid();
        model.Graph.Node[1].Input[0] = "nowhere";
        var error = Refused(model);
        Assert.Contains("'nowhere'", error.Message);
        Assert.Contains("'relu'", error.Message);
        Assert.Equal("relu", error.NodeName);
    }

    [Fact]
    public void MissingInitializerIsRefusedAsADanglingInput()
    {
        var model = Valid();
        model.Graph.Initializer.Remove(model.Graph.Initializer.Single(t => t.Name == "fc_w"));
        Assert.Contains("'fc_w'", Refused(model).Message);
    }

    [Fact]
    public void TensorProducedTwiceIsRefused()
    {
        var model = Valid();
        model.Graph.Node[2].Output[0] = "r";
        var error = Refused(model);
        Assert.Contains("'r' is produced by both", error.Message);
    }

    [Fact]
    public void HugeInitializerShapeIsRefusedBeforeAllocatingWithItsSize()
    {
        var model = Valid();
        var weights = model.Graph.Initializer.Single(t => t.Name == "fc_w");
        weights.Dims[0] = 1L << 40;
        var error = Refused(model);
        Assert.Contains("GiB", error.Message);
        Assert.Contains("fc_w", error.Message);
    }

    [Fact]
    public void HugeDeclaredShapeIsRefusedWithItsSize()
    {
        var model = Valid();
        model.Graph.Input[0].Type.TensorType.Shape.Dim[2].DimValue = 1L << 33;
        var error = Refused(model);
        Assert.Contains("limit", error.Message);
        Assert.Contains("'x'", error.Message);
    }

    [Fact]
    public void NegativeDimensionIsRefused()
    {
        var model = Valid();
        model.Graph.Initializer[0].Dims[0] = -2;
        Assert.Contains("negative", Refused(model).Message);
    }

    [Fact]
    public void InitializerWithTooLittleDataIsRefused()
    {
        var model = Valid();
        var bias = model.Graph.Initializer.Single(t => t.Name == "conv_b");
        bias.FloatData.Clear();
        bias.RawData = ByteString.CopyFrom(new byte[3]);
        Assert.Contains("3 bytes of data", Refused(model).Message);
    }

    [Fact]
    public void UnsortedNodesAreSortedAndStillLoad()
    {
        var model = Valid();
        var reversed = model.Graph.Node.Reverse().ToList();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(reversed);
        using var classifier = new OnnxClassifier(model.ToByteArray());
        Assert.Equal(3, classifier.ClassCount);
    }

    [Fact]
    public void UnknownOperatorIsAModelErrorNotAnOnnxRuntimeException()
    {
        var model = Valid();
        model.Graph.Node[1].OpType = "NoSuchOp";
        var error = Refused(model);
        Assert.Contains("NoSuchOp", error.Message);
    }

    [Fact]
    public void NonFloatImageInputIsAModelError()
    {
        var model = Valid();
        model.Graph.Input[0].Type.TensorType.ElemType = Int64Type;
        Assert.IsAssignableFrom<InvalidInputException>(Refused(model));
    }

    [Fact]
    public void ModelErrorsAreInvalidInputExceptionsAndNotDataFileExceptions()
    {
        var error = Assert.Throws<InvalidModelException>(() => new OnnxClassifier(new byte[] { 0x08, 0x07, 0xFF }));
        Assert.IsAssignableFrom<InvalidInputException>(error);
        Assert.False(typeof(DataFileException).IsAssignableFrom(typeof(InvalidModelException)));
        Assert.True(typeof(InvalidInputException).IsAssignableFrom(typeof(DataFileException)));
        Assert.True(typeof(InvalidInputException).IsAssignableFrom(typeof(InvalidImageException)));
    }
}
