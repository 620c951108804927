using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Evaluation;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.Samples;

/// <summary>One attack's throughput on one device.</summary>
internal sealed record Timing(string Attack, string Device, int BatchSize, int Images, double Seconds, double SuccessRate, double MeanIterations)
{
    public double ImagesPerSecond => Images / Seconds;
}

/// <summary>What gpu-check measured for one model.</summary>
internal sealed record ModelReport(string Model, List<Timing> Timings, List<AttackAgreement> Agreements);

/// <summary>One attack's CPU-against-CUDA agreement.</summary>
internal sealed record AttackAgreement(string Attack, DeviceAgreement Agreement);

/// <summary>How one attack's wall time splits between the model's calls and the attack's own operations.</summary>
internal sealed record TimeSplit(string Model, string Attack, string Device, int BatchSize, int Images, double Seconds, double ModelSeconds, int ModelCalls,
    long ForwardImages, long BackwardImages)
{
    /// <summary>The model's share of the wall time.</summary>
    public double ModelShare => ModelSeconds / Seconds;
}

/// <summary>Runs ADef and DeepFool with one module on the CPU and then, when given, on a CUDA device.</summary>
internal static class DeviceRun
{
    /// <param name="cpuImages">How many of the images (the first ones) the CPU side attacks; agreement covers those.</param>
    public static ModelReport Compare(string name, nn.Module<Tensor, Tensor> module, ImageShape shape, int classes, float[] images,
        int[]? labels, AdefOptions adef, DeepFoolOptions deepFool, int batchSize, IReadOnlyList<int> bestBatchSizes, Device? gpu, int? cpuImages = null, bool cudnnBenchmark = false, bool tf32 = false)
    {
        var timings = new List<Timing>();
        var agreements = new List<AttackAgreement>();
        int count = images.Length / shape.Size;
        var (cpuPixels, cpuLabels, cpuCount) = FirstImages(images, labels, shape, cpuImages);
        module.to(CPU);
        AdefResult[] adefCpu;
        DeepFoolResult[] deepFoolCpu;
        using (var cpu = new TorchSharpClassifier(module, shape, classes))
        {
            adefCpu = Time($"{name}: ADef, cpu", "ADef", "cpu", cpu, cpuPixels, cpuLabels, batchSize, timings,
                RunAdef(adef, batchSize, cpuPixels, cpuLabels));
            deepFoolCpu = Time($"{name}: DeepFool, cpu", "DeepFool ℓ2", "cpu", cpu, cpuPixels, cpuLabels, batchSize, timings,
                RunDeepFool(deepFool, batchSize, cpuPixels, cpuLabels));
        }
        if (gpu is null) return new ModelReport(name, timings, agreements);

        module.to(gpu);
        using (var cuda = new TorchSharpClassifier(module, shape, classes, gpu))
        {
            string device = gpu.ToString();
            // Warm-up: CUDA context, cuDNN algorithm choice and the caching allocator, outside the timings.
            new AdefAttack(cuda, adef with { BatchSize = batchSize, MaxIterations = 2 }).Run(images.AsMemory(0, Math.Min(count, batchSize) * shape.Size));
            AdefResult[] adefGpu = Time($"{name}: ADef, {device}", "ADef", device, cuda, images, labels, batchSize, timings,
                RunAdef(adef, batchSize, images, labels));
            DeepFoolResult[] deepFoolGpu = Time($"{name}: DeepFool, {device}", "DeepFool ℓ2", device, cuda, images, labels, batchSize, timings,
                RunDeepFool(deepFool, batchSize, images, labels));
            foreach (int bestBatchSize in bestBatchSizes.Where(b => b != batchSize).Distinct())
                Time($"{name}: ADef, {device}, batch {bestBatchSize}", "ADef", device, cuda, images, labels, bestBatchSize, timings,
                    RunAdef(adef, bestBatchSize, images, labels));
            int[] allBatchSizes = bestBatchSizes.Prepend(batchSize).Distinct().ToArray();
            if (tf32) TimeWithTf32(name, device, cuda, images, labels, adef, allBatchSizes, timings);
            if (cudnnBenchmark) TimeWithCudnnBenchmark(name, device, cuda, images, labels, adef, allBatchSizes, timings, tf32);
            agreements.Add(new AttackAgreement("ADef", DeviceAgreement.Compare(adefCpu, adefGpu[..cpuCount], r => r.TNorm)));
            agreements.Add(new AttackAgreement("DeepFool ℓ2", DeviceAgreement.Compare(deepFoolCpu, deepFoolGpu[..cpuCount], r => r.PixelL2)));
        }
        module.to(CPU);
        return new ModelReport(name, timings, agreements);
    }

    /// <summary>
    /// Runs ADef and DeepFool once more on <paramref name="device"/> with the device synchronised around every model call,
    /// and reports how much of each attack's wall time the model's forward and backward passes took.
    /// </summary>
    /// <param name="cpuImages">On the CPU, only the first this many images are attacked (as in <see cref="Compare"/>).</param>
    public static List<TimeSplit> Split(string name, nn.Module<Tensor, Tensor> module, ImageShape shape, int classes, float[] images,
        int[]? labels, AdefOptions adef, DeepFoolOptions deepFool, int batchSize, Device device, int? cpuImages = null)
    {
        int count = images.Length / shape.Size;
        if (device.type == DeviceType.CPU) (images, labels, count) = FirstImages(images, labels, shape, cpuImages);
        var splits = new List<TimeSplit>();
        module.to(device);
        using var classifier = new TorchSharpClassifier(module, shape, classes, device);
        var attacks = new (string Attack, Func<IDifferentiableClassifier, IProgress<AttackProgress>, AttackResult[]> Run)[]
        {
            ("ADef", RunAdef(adef, batchSize, images, labels)),
            ("DeepFool ℓ2", RunDeepFool(deepFool, batchSize, images, labels)),
        };
        foreach (var (attack, run) in attacks)
        {
            var timed = new TimedClassifier(classifier);
            var (_, seconds) = AttackRunner.Run($"{name}: {attack}, {device}, model time", count, progress => run(timed, progress));
            splits.Add(new TimeSplit(name, attack, device.ToString(), Math.Min(batchSize, count), count, seconds, timed.InModel.TotalSeconds, timed.Calls,
                timed.ForwardImages, timed.BackwardImages));
        }
        module.to(CPU);
        return splits;
    }

    /// <summary>
    /// Times ADef on CUDA again at every batch size with TF32 allowed (<see cref="AttackOptions.AllowTf32"/>, the user's opt-in):
    /// what the opt-in buys, and how far its rounding moves success and mean iterations.
    /// </summary>
    internal static void TimeWithTf32(string name, string device, IDifferentiableClassifier cuda, float[] images, int[]? labels, AdefOptions adef,
        IEnumerable<int> batchSizes, List<Timing> timings)
    {
        foreach (int batchSize in batchSizes)
            Time($"{name}: ADef, {device}, TF32, batch {batchSize}", "ADef", $"{device}, TF32", cuda, images, labels, batchSize, timings,
                RunAdef(adef with { AllowTf32 = true }, batchSize, images, labels));
    }

    /// <summary>
    /// Times ADef on CUDA again with cuDNN's benchmark mode on, twice per batch size (and, with <paramref name="tf32"/>, twice more
    /// with TF32 allowed): the first run also pays for timing the convolution algorithms of every new shape (each count of
    /// still-active images is one), the second finds them chosen. The switch is restored afterwards.
    /// </summary>
    internal static void TimeWithCudnnBenchmark(string name, string device, IDifferentiableClassifier cuda, float[] images, int[]? labels, AdefOptions adef,
        IEnumerable<int> batchSizes, List<Timing> timings, bool tf32 = false)
    {
        bool? before = CudnnBenchmark.Get(out string? error);
        if (before is null || !CudnnBenchmark.TrySet(true, out error))
        {
            AnsiConsole.MarkupLine($"[yellow]cudnn.benchmark unavailable: {Markup.Escape(error!)}[/]");
            return;
        }
        try
        {
            foreach (int batchSize in batchSizes)
                foreach (bool allowTf32 in tf32 ? new[] { false, true } : new[] { false })
                    for (int run = 1; run <= 2; run++)
                    {
                        string variant = allowTf32 ? "TF32, cudnn.benchmark" : "cudnn.benchmark";
                        Time($"{name}: ADef, {device}, {variant}, batch {batchSize}, run {run}", "ADef", $"{device}, {variant} run {run}",
                            cuda, images, labels, batchSize, timings, RunAdef(adef with { AllowTf32 = allowTf32 }, batchSize, images, labels));
                    }
        }
        finally
        {
            CudnnBenchmark.TrySet(before.Value, out _);
        }
    }

    /// <summary>ADef with <paramref name="adef"/> in batches of <paramref name="batchSize"/> over the images, as <see cref="Time{T}"/> runs it.</summary>
    private static Func<IDifferentiableClassifier, IProgress<AttackProgress>, AdefResult[]> RunAdef(AdefOptions adef, int batchSize, float[] images,
        int[]? labels) => (c, progress) => new AdefAttack(c, adef with { BatchSize = batchSize }).Run(images, labels, progress);

    /// <summary>DeepFool with <paramref name="deepFool"/> in batches of <paramref name="batchSize"/> over the images, as <see cref="Time{T}"/> runs it.</summary>
    private static Func<IDifferentiableClassifier, IProgress<AttackProgress>, DeepFoolResult[]> RunDeepFool(DeepFoolOptions deepFool, int batchSize,
        float[] images, int[]? labels) => (c, progress) => new DeepFoolAttack(c, deepFool with { BatchSize = batchSize }).Run(images, labels, progress);

    /// <summary>The first <paramref name="limit"/> images and labels (all of them when null or larger), and their count.</summary>
    private static (float[] Images, int[]? Labels, int Count) FirstImages(float[] images, int[]? labels, ImageShape shape, int? limit)
    {
        int count = images.Length / shape.Size;
        int first = Math.Min(limit ?? count, count);
        return first == count ? (images, labels, count) : (images[..(first * shape.Size)], labels?[..first], first);
    }

    private static T[] Time<T>(string title, string attack, string device, IDifferentiableClassifier classifier, float[] images, int[]? labels,
        int batchSize, List<Timing> timings, Func<IDifferentiableClassifier, IProgress<AttackProgress>, T[]> run) where T : AttackResult
    {
        int count = images.Length / classifier.InputShape.Size;
        var (results, seconds) = AttackRunner.Run(title, count, progress => run(classifier, progress));
        AttackSummary summary = AttackSummary.From(results);
        var timing = new Timing(attack, device, Math.Min(batchSize, count), count, seconds, summary.SuccessRate, results.Average(r => r.Iterations));
        timings.Add(timing);
        // One line per timing, so a run cut off before the tables still shows what it measured.
        Console.WriteLine($"{title}: {count} images in {seconds:0.00} s, {timing.ImagesPerSecond:0.0} img/s, " +
            $"success {timing.SuccessRate:P2}, mean iterations {timing.MeanIterations:0.000}");
        return results;
    }
}
