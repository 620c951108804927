using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using BenchmarkDotNet.Attributes;

namespace Adef.Benchmarks.Kernels;

/// <summary>
/// One ADef iteration of the host engine over a small batch, against the same attack stopped before its first step.
/// The model is a host linear classifier, so its calls are cheap and the difference between the two benchmarks is
/// mostly the engine's per-iteration work: candidate gradients to fields (image gradient, smoothing, T-norms), the
/// choice of candidate, the warp and the check of the new label.
/// </summary>
[MemoryDiagnoser]
public class AdefIteration
{
    private const int BatchSize = 8;
    private const int Classes = 10;

    private AdefAttack? _noStep, _oneStep;
    private float[] _images = [];

    // Each shape with its own preset: MNIST's 9 candidates at σ = 0.5, ImageNet's single candidate at σ = 1.
    [Params("MNIST 1x28x28", "ImageNet 3x224x224")]
    public string Workload { get; set; } = "MNIST 1x28x28";

    [GlobalSetup]
    public void Setup()
    {
        bool mnist = Workload.StartsWith("MNIST", StringComparison.Ordinal);
        var shape = mnist ? new ImageShape(1, 28, 28) : new ImageShape(3, 224, 224);
        AdefOptions preset = mnist ? AdefOptions.Mnist : AdefOptions.ImageNet;
        // A CPU classifier, so Execution = Auto picks the host span engine, the path the imaging kernels belong to.
        var classifier = new HostLinearClassifier(shape, Classes, seed: 0);
        var random = new Random(0);
        _images = Enumerable.Range(0, BatchSize * shape.Size).Select(_ => random.NextSingle()).ToArray();
        _noStep = new AdefAttack(classifier, preset with { BatchSize = BatchSize, MaxIterations = 0 });
        _oneStep = new AdefAttack(classifier, preset with { BatchSize = BatchSize, MaxIterations = 1 });
        // OneIteration times one step only if every image takes it (none fooled by its clean label, none numerically failed).
        if (_oneStep.Run(_images).Any(r => r.Iterations != 1))
            throw new InvalidOperationException("Expected every image to take exactly one ADef step.");
    }

    /// <summary>MaxIterations = 0: the clean logits and labels only; what every run pays before its first step.</summary>
    [Benchmark(Baseline = true)]
    public AdefResult[] CleanLabels() => _noStep!.Run(_images);

    /// <summary>MaxIterations = 1: the clean logits with the first candidates' gradients, one step, the new labels.</summary>
    [Benchmark]
    public AdefResult[] OneIteration() => _oneStep!.Run(_images);
}
