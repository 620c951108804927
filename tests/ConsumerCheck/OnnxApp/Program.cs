using Adef.MLNet.Attacks;
using Adef.MLNet.Data;
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

// The model's input contract in one object: PGD straight from the image column of a BGR model with a per-channel mean
// and std (no ExtractPixels, no CustomMapping), clipped to each channel's valid values, with norms in 8-bit levels.
var bgr = new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123], [58, 57, 59]);
var pgd = mlContext.Transforms.LoadImages("Image", photos, "Path")
    .Append(mlContext.Transforms.ResizeImages("Image", 8, 8))
    .Append(mlContext.Transforms.Pgd(Path.Combine(folder, "tiny.onnx"), new PgdTransformOptions
    {
        InputColumnName = "Image", OutputColumnName = "Adversarial", InputPreprocessing = bgr,
        Attack = new PgdOptions { Epsilon = 0.2, StepSize = 0.05, Steps = 10 },
    }));
PgdRow[] pgdRows = mlContext.Data.CreateEnumerable<PgdRow>(pgd.Fit(data).Transform(data), reuseRowObject: false).ToArray();
bool inBounds = pgdRows.All(r => r.Adversarial.Select((v, p) => (v, c: p / 64))
    .All(x => x.v >= bgr.ChannelBounds(x.c).Min && x.v <= bgr.ChannelBounds(x.c).Max));
foreach (PgdRow row in pgdRows)
    Console.WriteLine($"PGD {row.Path}: {row.Outcome}, l_inf {row.LevelLInf:0.0} levels of 255, l2 {row.LevelL2:0.0} levels");
Console.WriteLine($"PGD with BGR mean/std preprocessing: {pgdRows.Count(r => r.Success)} of {pgdRows.Length} fooled; within each channel's bounds: {inBounds}");
return rows.Any(r => r.Success) && same && inBounds && pgdRows.All(r => r.LevelLInf <= 0.2 * 59 + 1e-3) ? 0 : 1;

sealed class Photo
{
    public string Path { get; set; } = "";
}

sealed class PgdRow
{
    public string Path { get; set; } = "";
    public bool Success { get; set; }
    public string Outcome { get; set; } = "";
    public double LevelL2 { get; set; }
    public double LevelLInf { get; set; }
    [VectorType] public float[] Adversarial { get; set; } = [];
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
