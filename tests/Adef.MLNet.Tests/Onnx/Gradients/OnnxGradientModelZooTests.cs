using Adef.MLNet.Tests.Onnx;
using Google.Protobuf;
using Onnx;

namespace Adef.MLNet.Tests.Onnx.Gradients;

/// <summary>
/// Gradients of published models from <c>../shared/data/models</c> (<see cref="SharedModels"/>).
/// These models need no opset normalisation beyond the version number. Where the folder is absent
/// (a machine without the shared data), the tests are skipped with that reason.
/// </summary>
public class OnnxGradientModelZooTests
{
    [SkippableFact]
    public void MnistZooModelMatchesFiniteDifferences()
    {
        string path = SharedModels.Require("mnist-zoo/mnist_batchN.onnx");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var input = model.Graph.Input.First(i => !initializers.Contains(i.Name)).Name;
        var logits = model.Graph.Output[0].Name;
        // Float logits near 270 leave finite differences about 1e-4 of absolute noise per unit step, and
        // larger steps cross Relu/MaxPool kinks: this composition check allows 1 %, the per-rule tests 0.1 %.
        GradientCheck.AssertMatchesFiniteDifferences(model, n: 2, k: 2, channels: 1, height: 28, width: 28, h: 0.03,
            tolerance: 1e-2, inputScale: 100, inputName: input, logitsName: logits);
    }

    [SkippableFact]
    public void SqueezeNetMatchesDirectionalFiniteDifferences()
    {
        string path = SharedModels.Require("squeezenet1.1/squeezenet1.1_fp32_batchN_logits.onnx");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        // Minimal opset-18 normalisation for this model: Dropout's ratio attribute (an input since opset 12),
        // and logits [N, 1000] from the pre-softmax output pool10_1 [N, 1000, 1, 1].
        foreach (var node in model.Graph.Node.Where(n => n.OpType == "Dropout"))
        {
            foreach (var attribute in node.Attribute.Where(a => a.Name is "ratio" or "is_test").ToList())
            {
                node.Attribute.Remove(attribute);
            }
        }
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        model.IrVersion = Math.Max(model.IrVersion, 8);
        model.Graph.Node.Add(new NodeProto { OpType = "Flatten", Name = "logits_flatten", Input = { "pool10_1" }, Output = { "logits" } });
        model.Graph.Output.Clear();
        model.Graph.Output.Add(new ValueInfoProto { Name = "logits", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } } });
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var input = model.Graph.Input.First(i => !initializers.Contains(i.Name)).Name;
        GradientCheck.AssertDirectionalDerivativesMatch(model, n: 2, k: 2, channels: 3, height: 224, width: 224, h: 1.0,
            tolerance: 1e-2, inputScale: 100, inputName: input, logitsName: "logits");
    }

    [SkippableFact]
    public void DequantizedMobileNetV2MatchesDirectionalFiniteDifferences()
    {
        string path = SharedModels.Require("mobilenetv2/mobilenetv2-12-int8_dequantized_fp32.onnx");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        // Minimal opset-18 normalisation for this model (opset 12): Squeeze/Unsqueeze axes become inputs.
        foreach (var node in model.Graph.Node.Where(n => n.OpType is "Squeeze" or "Unsqueeze"))
        {
            if (node.Attribute.FirstOrDefault(a => a.Name == "axes") is { } axes)
            {
                var tensor = new TensorProto { Name = node.Name + "_axes", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { axes.Ints.Count } };
                tensor.Int64Data.AddRange(axes.Ints);
                model.Graph.Initializer.Add(tensor);
                node.Input.Add(tensor.Name);
                node.Attribute.Remove(axes);
            }
        }
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        model.IrVersion = Math.Max(model.IrVersion, 8);
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var input = model.Graph.Input.First(i => !initializers.Contains(i.Name));
        var batch = input.Type.TensorType.Shape.Dim[0];
        Assert.True(batch.HasDimParam || !batch.HasDimValue, $"batch dim {batch}");
        GradientCheck.AssertDirectionalDerivativesMatch(model, n: 2, k: 2, channels: 3, height: 224, width: 224, h: 1e-2,
            tolerance: 1e-2, inputScale: 1, inputName: input.Name, logitsName: model.Graph.Output[0].Name);
    }
}
