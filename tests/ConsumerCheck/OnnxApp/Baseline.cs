using Microsoft.ML;

// The same application without Adef.MLNet, for the publish-size comparison: ML.NET's own image pipeline and ONNX Runtime.
var mlContext = new MLContext(seed: 1);
IDataView data = mlContext.Data.LoadFromEnumerable(new[] { new { Path = "photo0.png" } });
var pipeline = mlContext.Transforms.LoadImages("Image", args.Length > 0 ? args[0] : ".", "Path")
    .Append(mlContext.Transforms.ResizeImages("Image", 8, 8))
    .Append(mlContext.Transforms.ExtractPixels("Pixels", "Image", interleavePixelColors: false));
Console.WriteLine(pipeline.Fit(data).GetOutputSchema(data.Schema).Count);
Console.WriteLine(new Microsoft.ML.OnnxRuntime.SessionOptions().GetType().Name);
