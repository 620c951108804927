using Google.Protobuf;
using Microsoft.ML.Data;
using Onnx;

// Usage: ModelMaker OUT_FOLDER. Writes OUT/tiny.onnx (x [N, 3, 8, 8] → Flatten → Tanh → Gemm → logits [N, 3]) and
// OUT/photos/*.png (six 8×8 RGB images, smooth blobs), so that the check needs no file of the repository.
string folder = args.Length == 1 ? args[0] : throw new ArgumentException("usage: ModelMaker OUT_FOLDER");
Directory.CreateDirectory(Path.Combine(folder, "photos"));
const int Size = 8, Pixels = 3 * Size * Size, Classes = 3;

var graph = new GraphProto { Name = "tiny" };
graph.Input.Add(Value("x", "N", 3, Size, Size));
graph.Output.Add(Value("logits", "N", Classes));
var weights = new TensorProto { Name = "W", DataType = (int)TensorProto.Types.DataType.Float };
weights.Dims.Add(Pixels);
weights.Dims.Add(Classes);
for (int i = 0; i < Pixels * Classes; i++) weights.FloatData.Add(MathF.Sin(0.37f * i) * 0.5f);
var bias = new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Float };
bias.Dims.Add(Classes);
bias.FloatData.Add([0.1f, -0.1f, 0f]);
graph.Initializer.Add(weights);
graph.Initializer.Add(bias);
graph.Node.Add(Node("Flatten", ["x"], "flat"));
graph.Node.Add(Node("Tanh", ["flat"], "hidden"));
graph.Node.Add(Node("Gemm", ["hidden", "W", "b"], "logits"));
var model = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "consumer-check" };
model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
File.WriteAllBytes(Path.Combine(folder, "tiny.onnx"), model.ToByteArray());

for (int image = 0; image < 6; image++)
{
    var bgra = new byte[4 * Size * Size];
    for (int y = 0; y < Size; y++)
        for (int x = 0; x < Size; x++)
        {
            int p = 4 * (y * Size + x);
            double blob = Math.Exp(-((x - 2 - image % 4) * (x - 2 - image % 4) + (y - 3 - image / 3) * (y - 3 - image / 3)) / 6.0);
            bgra[p] = (byte)(255 * blob);                         // blue
            bgra[p + 1] = (byte)(40 * image);                     // green
            bgra[p + 2] = (byte)(255 * (1 - blob));               // red
            bgra[p + 3] = 255;
        }
    using MLImage png = MLImage.CreateFromPixels(Size, Size, MLPixelFormat.Bgra32, bgra);
    png.Save(Path.Combine(folder, "photos", $"photo{image}.png"));
}
Console.WriteLine($"wrote {Path.Combine(folder, "tiny.onnx")} and 6 photos");

static ValueInfoProto Value(string name, string batch, params long[] dims)
{
    var shape = new TensorShapeProto();
    shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
    foreach (long d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
    return new ValueInfoProto
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
    };
}

static NodeProto Node(string op, string[] inputs, string output)
{
    var node = new NodeProto { OpType = op, Name = op.ToLowerInvariant() };
    node.Input.Add(inputs);
    node.Output.Add(output);
    return node;
}
