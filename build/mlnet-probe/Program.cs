// Probes of what a third-party package can do with ML.NET (compiled against 5.0.1 or 6.0.0, see MLNetProbe.csproj).
//   api                        accessibility of the types and members docs/mlnet.md names (reflection only to inspect)
//   images <folder> <out>      LoadImages → MLImage pixel format; ResizeImages × ExtractPixels dumps for comparison
//   cmp <dirA> <dirB>          compares two 'images' dumps
//   transform <mnist.onnx>     our transform: batches, lazy Transform, cursor sets, PredictionEngine, chain, Model.Save
//   onnx <mnist.onnx> <gpu>    ApplyOnnxModel on the CPU (gpu = -1) or with gpuDeviceId (fallbackToCpu: true)
//   custom                     what Model.Save stores for a CustomMapping, and that it loads back
//   onnxrows                   the batch size ApplyOnnxModel runs a model with (a model that outputs its input's shape)
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
#if WITH_CORE
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Transforms;
#endif

static string Access(MethodBase m) =>
    m.IsPublic ? "public" : m.IsFamilyAndAssembly ? "private protected" : m.IsFamilyOrAssembly ? "protected internal"
    : m.IsFamily ? "protected" : m.IsAssembly ? "internal" : "private";

static string TypeAccess(Type t) => t.IsPublic || t.IsNestedPublic ? "public" : "internal/non-public";

Console.WriteLine($"Microsoft.ML {typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]}, " +
    $"ImageAnalytics {typeof(MLImage).Assembly.GetName().Version}, SkiaSharp {typeof(SkiaSharp.SKBitmap).Assembly.GetName().Version} " +
    $"({typeof(SkiaSharp.SKBitmap).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0]})");

switch (args[0])
{
    case "api": Api(); break;
    case "images": Images(args[1], args[2]); break;
    case "cmp": Compare(args[1], args[2]); break;
#if WITH_CORE
    case "transform": TransformProbe(args[1]); break;
#endif
    case "onnx": ApplyOnnx(args[1], int.Parse(args[2])); break;
    case "custom": CustomSave(); break;
    case "onnxrows": OnnxRows(); break;
}

void Api()
{
    foreach (ConstructorInfo c in typeof(SchemaShape.Column).GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        Console.WriteLine($"SchemaShape.Column({string.Join(", ", c.GetParameters().Select(p => p.ParameterType.Name))}): {Access(c)}");
    foreach (MethodInfo m in typeof(SchemaShape).GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic).Where(m => m.Name == "Create"))
        Console.WriteLine($"SchemaShape.Create({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))}): {Access(m)}");
    foreach (ConstructorInfo c in typeof(SchemaShape).GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        Console.WriteLine($"SchemaShape({string.Join(", ", c.GetParameters().Select(p => p.ParameterType.Name))}): {Access(c)}");

    Assembly[] assemblies = [typeof(MLContext).Assembly, typeof(IDataView).Assembly, typeof(ModelSaveContext).Assembly,
        typeof(TransformerChain<>).Assembly, typeof(Microsoft.ML.Transforms.CustomMappingFactory<,>).Assembly];
    var types = assemblies.Distinct().SelectMany(a => { try { return a.GetTypes(); } catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>().ToArray(); } }).ToList();
    string[] names = ["RowToRowTransformerBase", "OneToOneTransformerBase", "TrivialEstimator`1", "LoadableClassAttribute", "VersionInfo",
        "ModelLoadContext", "ModelSaveContext", "MapperBase", "IRowMapper", "Contracts", "ICanSaveModel", "IRowToRowMapper",
        "CustomMappingFactory`2", "CustomMappingFactoryAttributeAttribute", "DataViewRowCursor", "TransformerChain`1"];
    foreach (string name in names)
        foreach (Type t in types.Where(t => t.Name == name))
        {
            Console.WriteLine($"{t.FullName} [{t.Assembly.GetName().Name}]: {TypeAccess(t)}");
            if (!(t.IsPublic || t.IsNestedPublic) || t.IsInterface) continue;
            foreach (ConstructorInfo c in t.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                Console.WriteLine($"    ctor({string.Join(", ", c.GetParameters().Select(p => p.ParameterType.Name))}): {Access(c)}");
            if (t.IsAbstract)
                foreach (MethodInfo m in t.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).Where(m => m.IsAbstract))
                    Console.WriteLine($"    abstract {m.Name}: {Access(m)}");
            if (t.Name == "ModelSaveContext")
            {
                Console.WriteLine($"    public members: {string.Join(", ", t.GetMembers(BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly).Select(m => m.Name).Distinct())}");
                Console.WriteLine($"    non-public fields/properties: {string.Join(", ", t.GetMembers(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).Where(m => m is FieldInfo or PropertyInfo).Select(m => m.Name))}");
            }
        }
#if TRY_COLUMN
    var column = new SchemaShape.Column("x", SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false, null);
    var shape = new SchemaShape(new[] { column });
#endif
}

void Images(string folder, string outDir)
{
    Directory.CreateDirectory(outDir);
    var ml = new MLContext(seed: 1);
    // A 4×3 PNG of known colours, one pixel half transparent.
    string tmp = Path.Combine(Path.GetTempPath(), "mlnet-probe-" + Guid.NewGuid().ToString("N"));
    Directory.CreateDirectory(tmp);
    var rgba = new byte[4 * 12];
    for (int p = 0; p < 12; p++) { rgba[4 * p] = (byte)(20 * p); rgba[4 * p + 1] = (byte)(255 - 20 * p); rgba[4 * p + 2] = (byte)(7 * p); rgba[4 * p + 3] = (byte)(p == 5 ? 128 : 255); }
    var info = new SkiaSharp.SKImageInfo(4, 3, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul);
    using (var image = SkiaSharp.SKImage.FromPixelCopy(info, rgba, 16))
    using (var png = image.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100))
        File.WriteAllBytes(Path.Combine(tmp, "c.png"), png.ToArray());
    IDataView one = ml.Data.LoadFromEnumerable([new PathRow { Path = "c.png" }]);
    IDataView loaded = ml.Transforms.LoadImages("Image", tmp, nameof(PathRow.Path)).Fit(one).Transform(one);
    Console.WriteLine($"LoadImages column type: {loaded.Schema["Image"].Type}");
    DataViewRowCursor cursor = loaded.GetRowCursor(loaded.Schema);
    ValueGetter<MLImage> getImage = cursor.GetGetter<MLImage>(loaded.Schema["Image"]);
    cursor.MoveNext();
    MLImage img = null!;
    getImage(ref img); // valid while the cursor stays on the row
    Console.WriteLine($"MLImage {img.Width}x{img.Height} PixelFormat={img.PixelFormat} BitsPerPixel={img.BitsPerPixel}; pixel 0 = [{string.Join(",", img.Pixels[..4].ToArray())}] (PNG RGBA {rgba[0]},{rgba[1]},{rgba[2]},{rgba[3]}); " +
        $"pixel 5 = [{string.Join(",", img.Pixels.Slice(20, 4).ToArray())}] (PNG RGBA {rgba[20]},{rgba[21]},{rgba[22]},{rgba[23]})");
    cursor.Dispose();
    IDataView sized = ml.Transforms.ResizeImages("Image", 4, 3).Fit(loaded).Transform(loaded);
    float[] extracted = ml.Transforms.ExtractPixels("P", "Image").Fit(sized).Transform(sized).GetColumn<VBuffer<float>>("P").Single().DenseValues().ToArray();
    Console.WriteLine($"ExtractPixels default: {extracted.Length} values, first R,G,B = {extracted[0]},{extracted[12]},{extracted[24]}; pixel 5 R,G,B = {extracted[5]},{extracted[17]},{extracted[29]} (after ResizeImages to the same 4×3)");
    using (MLImage created = MLImage.CreateFromPixels(2, 1, MLPixelFormat.Rgba32, [1, 2, 3, 255, 4, 5, 6, 255]))
        Console.WriteLine($"MLImage.CreateFromPixels(Rgba32) → PixelFormat={created.PixelFormat}, Pixels=[{string.Join(",", created.Pixels.ToArray())}]");
    Directory.Delete(tmp, true);

    // Photos: every resizing kind × two extraction settings.
    string[] files = Directory.EnumerateFiles(folder, "*.jpg", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
    IDataView paths = ml.Data.LoadFromEnumerable(files.Select(f => new PathRow { Path = f }));
    foreach (ImageResizingEstimator.ResizingKind kind in new[] { ImageResizingEstimator.ResizingKind.Fill, ImageResizingEstimator.ResizingKind.IsoPad, ImageResizingEstimator.ResizingKind.IsoCrop })
    {
        var pipeline = ml.Transforms.LoadImages("Image", null, nameof(PathRow.Path))
            .Append(ml.Transforms.ResizeImages("Resized", 224, 224, "Image", kind))
            .Append(ml.Transforms.ExtractPixels("Planar", "Resized"))
            .Append(ml.Transforms.ExtractPixels("BgrInterleavedScaled", "Resized", ImagePixelExtractingEstimator.ColorBits.Rgb,
                ImagePixelExtractingEstimator.ColorsOrder.ABGR, interleavePixelColors: true, offsetImage: -100, scaleImage: 1 / 57f));
        IDataView result = pipeline.Fit(paths).Transform(paths);
        foreach (string column in new[] { "Planar", "BgrInterleavedScaled" })
        {
            using var w = new BinaryWriter(File.Create(Path.Combine(outDir, $"{kind}_{column}.bin")));
            int rows = 0;
            foreach (VBuffer<float> v in result.GetColumn<VBuffer<float>>(column)) { foreach (float f in v.DenseValues()) w.Write(f); rows++; }
            Console.WriteLine($"{kind} {column}: {rows} photos dumped");
        }
    }
}

void Compare(string a, string b)
{
    foreach (string fa in Directory.GetFiles(a, "*.bin").Order())
    {
        byte[] x = File.ReadAllBytes(fa), y = File.ReadAllBytes(Path.Combine(b, Path.GetFileName(fa)));
        ReadOnlySpan<float> p = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(x), q = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(y);
        if (p.Length != q.Length) { Console.WriteLine($"{Path.GetFileName(fa)}: lengths {p.Length} vs {q.Length}"); continue; }
        long diff = 0; double max = 0, sum = 0;
        for (int i = 0; i < p.Length; i++) { double d = Math.Abs(p[i] - q[i]); if (d > 0) { diff++; sum += d; max = Math.Max(max, d); } }
        Console.WriteLine($"{Path.GetFileName(fa)}: {diff}/{p.Length} values differ ({100.0 * diff / p.Length:F2} %), mean |d| {sum / p.Length:F4}, max {max}");
    }
}

#if WITH_CORE
void TransformProbe(string onnxPath)
{
    var ml = new MLContext(seed: 1);
    using var onnx = new OnnxClassifier(onnxPath);
    var counting = new Counting(onnx);
    var rows = Enumerable.Range(0, 10).Select(i => new PixelRow { Pixels = Enumerable.Range(0, 784).Select(k => (float)((k * (i + 3)) % 256)).ToArray(), Id = i }).ToArray();
    IDataView data = ml.Data.LoadFromEnumerable(rows);
    AdefTransformOptions Options(string input) => new()
    {
        InputColumnName = input, OutputColumnName = "AdversarialPixels", ImageScale = 1,
        Attack = new Adef.MLNet.Attacks.AdefOptions { MaxIterations = 0, BatchSize = 4 },
    };
    ITransformer model = ml.Transforms.Adef(counting, Options("Pixels")).Fit(data);
    IDataView transformed = model.Transform(data);
    Console.WriteLine($"Transform(): {counting.Calls.Count} model calls");
    _ = transformed.GetColumn<int>("Id").ToArray();
    Console.WriteLine($"cursor over pass-through column only: {counting.Calls.Count} model calls");
    _ = transformed.GetColumn<bool>("Success").ToArray();
    Console.WriteLine($"cursor over Success: batch sizes (MaxIterations 0: one logits call per batch) {string.Join(",", counting.Calls)}");
    counting.Calls.Clear();
    DataViewRowCursor[] set = transformed.GetRowCursorSet(transformed.Schema.Where(c => c.Name == "Success"), 3);
    Console.WriteLine($"GetRowCursorSet(n: 3) → {set.Length} cursor(s)");
    foreach (var c in set) c.Dispose();

    var chain = ml.Transforms.CopyColumns("Pixels2", "Pixels").Append(ml.Transforms.Adef(counting, Options("Pixels2")));
    counting.Calls.Clear();
    var fitted = chain.Fit(data);
    _ = fitted.Transform(data).GetColumn<bool>("Success").ToArray();
    Console.WriteLine($"inside EstimatorChain ({fitted.GetType().Name}): batch sizes {string.Join(",", counting.Calls)}");

    counting.Calls.Clear();
    var engine = ml.Model.CreatePredictionEngine<PixelRow, SuccessRow>(model);
    SuccessRow predicted = engine.Predict(rows[0]);
    Console.WriteLine($"PredictionEngine: first batch size {counting.Calls.FirstOrDefault()}, Success={predicted.Success}");

    using var stream = new MemoryStream();
    try { ml.Model.Save(model, data.Schema, stream); Console.WriteLine("Model.Save: saved?!"); }
    catch (Exception e) { Console.WriteLine($"Model.Save(our transformer): {e.GetType().FullName}: {e.Message[..Math.Min(120, e.Message.Length)]}…"); }
    try { ml.Model.Save(fitted, data.Schema, new MemoryStream()); Console.WriteLine("Model.Save(chain): saved?!"); }
    catch (Exception e) { Console.WriteLine($"Model.Save(chain with it): {e.GetType().FullName} (inner {e.InnerException?.GetType().Name ?? "none"})"); }
}
#endif

void ApplyOnnx(string onnxPath, int gpu)
{
    var ml = new MLContext(seed: 1);
    IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 3).Select(i => new OnnxRow { Input3 = Enumerable.Range(0, 784).Select(k => (float)((k * (i + 3)) % 256)).ToArray() }));
    try
    {
        var estimator = gpu < 0
            ? ml.Transforms.ApplyOnnxModel(["Plus214_Output_0"], ["Input3"], onnxPath)
            : ml.Transforms.ApplyOnnxModel(["Plus214_Output_0"], ["Input3"], onnxPath, gpuDeviceId: gpu, fallbackToCpu: true);
        float[] logits = estimator.Fit(data).Transform(data).GetColumn<float[]>("Plus214_Output_0").First();
        Console.WriteLine($"ApplyOnnxModel(gpu {gpu}): OK, argmax {Array.IndexOf(logits, logits.Max())}, logit[0] {logits[0]}");
    }
    catch (Exception e)
    {
        Console.WriteLine($"ApplyOnnxModel(gpu {gpu}): {e.GetType().FullName}: {e.Message[..Math.Min(200, e.Message.Length)]}");
        for (Exception? inner = e.InnerException; inner != null; inner = inner.InnerException) Console.WriteLine($"  inner {inner.GetType().FullName}: {inner.Message[..Math.Min(200, inner.Message.Length)]}");
    }
}

void OnnxRows()
{
    // X [N, 1, 28, 28] → Shape → S [4]: S[0] is the batch size the model was run with.
    static Onnx.ValueInfoProto Tensor(string name, Onnx.TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new Onnx.TensorShapeProto();
        foreach (object d in dims)
            shape.Dim.Add(d is string p ? new Onnx.TensorShapeProto.Types.Dimension { DimParam = p } : new Onnx.TensorShapeProto.Types.Dimension { DimValue = (int)d });
        return new Onnx.ValueInfoProto { Name = name, Type = new Onnx.TypeProto { TensorType = new Onnx.TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
    var graph = new Onnx.GraphProto { Name = "shape" };
    graph.Node.Add(new Onnx.NodeProto { OpType = "Shape", Input = { "X" }, Output = { "S" } });
    graph.Input.Add(Tensor("X", Onnx.TensorProto.Types.DataType.Float, "N", 1, 28, 28));
    graph.Output.Add(Tensor("S", Onnx.TensorProto.Types.DataType.Int64, 4));
    var model = new Onnx.ModelProto { IrVersion = 7, Graph = graph };
    model.OpsetImport.Add(new Onnx.OperatorSetIdProto { Domain = "", Version = 13 });
    string path = Path.Combine(Path.GetTempPath(), $"shape-{Guid.NewGuid():N}.onnx");
    File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
    var ml = new MLContext(seed: 1);
    IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 10).Select(_ => new XRow { X = new float[784] }));
    var transformed = ml.Transforms.ApplyOnnxModel("S", "X", path).Fit(data).Transform(data);
    long[] batchSizes = transformed.GetColumn<long[]>("S").Select(s => s[0]).ToArray();
    Console.WriteLine($"ApplyOnnxModel over 10 rows: the model saw batch sizes {string.Join(",", batchSizes)}");
    File.Delete(path);
}

void CustomSave()
{
    var ml = new MLContext(seed: 1);
    IDataView data = ml.Data.LoadFromEnumerable([new NumberRow { X = 21 }]);
    ITransformer model = ml.Transforms.CustomMapping(new DoubleIt().GetMapping(), DoubleIt.Contract).Fit(data);
    using var stream = new MemoryStream();
    ml.Model.Save(model, data.Schema, stream);
    using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(stream.ToArray()));
    foreach (var entry in zip.Entries.Where(e => e.Length > 0))
    {
        using var entryStream = entry.Open();
        using var bytes = new MemoryStream();
        entryStream.CopyTo(bytes);
        // Printable runs of at least 4 characters: what the entry says in words.
        string text = System.Text.Encoding.Latin1.GetString(bytes.ToArray()) + "\n" + System.Text.Encoding.Unicode.GetString(bytes.ToArray());
        var runs = System.Text.RegularExpressions.Regex.Matches(text, "[ -~]{4,}").Select(m => m.Value);
        Console.WriteLine($"entry {entry.FullName} ({entry.Length} bytes): {string.Join(" | ", runs)}");
    }
    ml.ComponentCatalog.RegisterAssembly(typeof(DoubleIt).Assembly);
    ITransformer loaded = ml.Model.Load(new MemoryStream(stream.ToArray()), out _);
    Console.WriteLine($"loaded back: Y = {loaded.Transform(data).GetColumn<float>("Y").Single()}");
}

sealed class XRow { [VectorType(1, 1, 28, 28)] public float[] X { get; set; } = []; }

sealed class NumberRow { public float X { get; set; } }

sealed class DoubledRow { public float Y { get; set; } }

[Microsoft.ML.Transforms.CustomMappingFactoryAttribute(Contract)]
sealed class DoubleIt : Microsoft.ML.Transforms.CustomMappingFactory<NumberRow, DoubledRow>
{
    public const string Contract = "DoubleIt";
    public override Action<NumberRow, DoubledRow> GetMapping() => (input, output) => output.Y = 2 * input.X;
}

sealed class PathRow { public string Path { get; set; } = ""; }

sealed class OnnxRow { [VectorType(1, 1, 28, 28)] public float[] Input3 { get; set; } = []; }

sealed class PixelRow
{
    [VectorType(784)] public float[] Pixels { get; set; } = [];
    public int Id { get; set; }
}

sealed class SuccessRow { public bool Success { get; set; } }

#if WITH_CORE
sealed class Counting(IDifferentiableClassifier inner) : IDifferentiableClassifier
{
    public List<int> Calls { get; } = [];
    public ImageShape InputShape => inner.InputShape;
    public int ClassCount => inner.ClassCount;
    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits) { Calls.Add(count); inner.ComputeLogits(images, count, logits); }
    public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage, Span<float> logits, Span<float> gradients)
        => inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
}
#endif

#if TRY_DERIVE
sealed class ThirdPartyTransformer : RowToRowTransformerBase
{
    public ThirdPartyTransformer() : base(null!) { }
    private protected override void SaveModel(ModelSaveContext ctx) { }
}
#endif
