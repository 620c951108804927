using Adef.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: OnnxApp FOLDER (holding tiny.onnx and photos/*.png). Attacks every photo with ADef inside an ML.NET pipeline,
// saves the fitted pipeline with AttackPipeline.Save, loads it back and checks it gives the same adversarial pixels.
string folder = args.Length == 1 ? args[0] : throw new ArgumentException("usage: OnnxApp FOLDER");
string photos = Path.Combine(folder, "photos");
var mlContext = new MLContext(seed: 1);
IDataView data = mlContext.Data.LoadFromEnumerable(
    Directory.GetFiles(photos, "*.png").Order().Select(f => new Photo { Path = Path.GetFileName(f) }).ToArray());

var pipeline = mlContext.Transforms.LoadImages("Image", photos, "Path")
    .Append(mlContext.Transforms.ResizeImages("Image", 8, 8))
    .Append(mlContext.Transforms.ExtractPixels("Pixels", "Image", interleavePixelColors: false, scaleImage: 1f / 255))
    .Append(mlContext.Transforms.Adef(Path.Combine(folder, "tiny.onnx")));   // the adversarial pixels replace "Pixels"
ITransformer model = pipeline.Fit(data);
Attacked[] rows = mlContext.Data.CreateEnumerable<Attacked>(model.Transform(data), reuseRowObject: false).ToArray();
foreach (Attacked row in rows)
    Console.WriteLine($"{row.Path}: {row.OriginalLabel} -> {row.AdversarialLabel}, {row.Outcome}, {row.Iterations} steps, tau_T {row.TNorm:0.000} px");

string saved = Path.Combine(folder, "attack.zip");
AttackPipeline.Save(mlContext, model, data.Schema, saved);
ITransformer loaded = AttackPipeline.Load(mlContext, saved, out _);
Attacked[] again = mlContext.Data.CreateEnumerable<Attacked>(loaded.Transform(data), reuseRowObject: false).ToArray();
bool same = rows.Zip(again).All(p => p.First.Pixels.SequenceEqual(p.Second.Pixels));
Console.WriteLine($"{rows.Count(r => r.Success)} of {rows.Length} fooled; saved and loaded pipeline gives the same pixels: {same}");
return rows.Any(r => r.Success) && same ? 0 : 1;

sealed class Photo
{
    public string Path { get; set; } = "";
}

sealed class Attacked
{
    public string Path { get; set; } = "";
    public int OriginalLabel { get; set; }
    public int AdversarialLabel { get; set; }
    public bool Success { get; set; }
    public string Outcome { get; set; } = "";
    public int Iterations { get; set; }
    public double TNorm { get; set; }
    [VectorType] public float[] Pixels { get; set; } = [];
}
