using System.Diagnostics;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
#if ADEF_SPLIT_PACKAGES
using Adef.Experiments;
#endif

// Usage: AttackThroughput adef|deepfool [images] [repeats]
// Attacks the first MNIST test digits with the cached MNIST-A (the mnist command trains it) in batches of 256, as the
// mnist command does, and prints "<attack> <images/s> img/s, <mean iterations> iterations" per repeat; the first
// repeat includes warm-up. Only public API that every revision since the first engines has (the namespaces of the MNIST
// helpers aside, which the package split moved), so build/cpu-ab.sh can build this file against an older revision.
string attack = args.Length > 0 ? args[0] : "deepfool";
int count = args.Length > 1 ? int.Parse(args[1]) : 256;
int repeats = args.Length > 2 ? int.Parse(args[2]) : 2;
if (attack is not ("adef" or "deepfool") || count < 1 || repeats < 1)
{
    Console.Error.WriteLine("usage: AttackThroughput adef|deepfool [images ≥ 1] [repeats ≥ 1]");
    return 2;
}
string weights = Path.Combine(DataCache.Folder("models"), "mnist-a-seed0.weights");
if (!File.Exists(weights))
{
    Console.Error.WriteLine($"{weights} is missing: run `dotnet run --project src/Samples -c Release -- mnist` once first.");
    return 1;
}
LabeledImages test = Mnist.LoadTest();
count = Math.Min(count, test.Count);
float[] pixels = test.Pixels.AsSpan(0, count * 784).ToArray();
int[] labels = test.Labels.Take(count).ToArray();
var model = new MnistA();
model.load(weights);
model.eval();
using var classifier = new TorchSharpClassifier(model, new ImageShape(1, 28, 28), 10);
for (int r = 0; r < repeats; r++)
{
    var stopwatch = Stopwatch.StartNew();
    double iterations = attack == "adef"
        ? new AdefAttack(classifier, AdefOptions.Mnist with { BatchSize = 256 }).Run(pixels, labels).Average(x => x.Iterations)
        : new DeepFoolAttack(classifier, new DeepFoolOptions { BatchSize = 256 }).Run(pixels, labels).Average(x => x.Iterations);
    Console.WriteLine($"{attack} {count / stopwatch.Elapsed.TotalSeconds:0.0} img/s, {iterations:0.000} iterations");
}
return 0;
