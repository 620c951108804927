using Adef.ConsoleProgress;
using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Evaluation;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.GpuCheck;

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

/// <summary>
/// One model and its images as gpu-check attacks them: the module, its input shape and class count, the images (and
/// labels), the attacks' options, the batch size on both devices, and how many of the images (the first ones) the CPU
/// side attacks (all when null).
/// </summary>
internal sealed record DeviceWorkload(string Name, nn.Module<Tensor, Tensor> Module, ImageShape Shape, int Classes, float[] Images, int[]? Labels,
    AdefOptions Adef, DeepFoolOptions DeepFool, int BatchSize, int? CpuImages = null)
{
    /// <summary>Number of images.</summary>
    public int Count => Images.Length / Shape.Size;

    /// <summary>The images (and labels) the CPU side attacks: the first <see cref="CpuImages"/>, or all.</summary>
    public (float[] Images, int[]? Labels, int Count) CpuSide()
    {
        int first = Math.Min(CpuImages ?? Count, Count);
        return first == Count ? (Images, Labels, Count) : (Images[..(first * Shape.Size)], Labels?[..first], first);
    }
}

/// <summary>Runs ADef and DeepFool with one module on the CPU and then, when given, on a CUDA device.</summary>
internal static class DeviceRun
{
    public static ModelReport Compare(DeviceWorkload w, IReadOnlyList<int> bestBatchSizes, Device? gpu, bool cudnnBenchmark = false, bool tf32 = false)
    {
        var timings = new List<Timing>();
        var agreements = new List<AttackAgreement>();
        var (cpuPixels, cpuLabels, cpuCount) = w.CpuSide();
        w.Module.to(CPU);
        AdefResult[] adefCpu;
        PerturbationResult[] deepFoolCpu;
        using (var cpu = new TorchSharpClassifier(w.Module, w.Shape, w.Classes))
        {
            adefCpu = Time($"{w.Name}: ADef, cpu", "ADef", "cpu", cpu, cpuPixels, cpuLabels, w.BatchSize, timings,
                RunAdef(w.Adef, w.BatchSize, cpuPixels, cpuLabels));
            deepFoolCpu = Time($"{w.Name}: DeepFool, cpu", "DeepFool ℓ2", "cpu", cpu, cpuPixels, cpuLabels, w.BatchSize, timings,
                RunDeepFool(w.DeepFool, w.BatchSize, cpuPixels, cpuLabels));
        }
        if (gpu is null) return new ModelReport(w.Name, timings, agreements);

        w.Module.to(gpu);
        ComputeDevice gpuDevice = TorchSharpDevices.ToComputeDevice(gpu);
        using (var cuda = new TorchSharpClassifier(w.Module, w.Shape, w.Classes, gpuDevice))
        using (var cudaTf32 = new TorchSharpClassifier(w.Module, w.Shape, w.Classes, gpuDevice) { AllowTf32 = true })
        {
            string device = gpu.ToString();
            // Warm-up: CUDA context, cuDNN algorithm choice and the caching allocator, outside the timings.
            new AdefAttack(cuda, w.Adef with { BatchSize = w.BatchSize, MaxIterations = 2 }).Run(w.Images.AsMemory(0, Math.Min(w.Count, w.BatchSize) * w.Shape.Size));
            AdefResult[] adefGpu = Time($"{w.Name}: ADef, {device}", "ADef", device, cuda, w.Images, w.Labels, w.BatchSize, timings,
                RunAdef(w.Adef, w.BatchSize, w.Images, w.Labels));
            PerturbationResult[] deepFoolGpu = Time($"{w.Name}: DeepFool, {device}", "DeepFool ℓ2", device, cuda, w.Images, w.Labels, w.BatchSize, timings,
                RunDeepFool(w.DeepFool, w.BatchSize, w.Images, w.Labels));
            foreach (int bestBatchSize in bestBatchSizes.Where(b => b != w.BatchSize).Distinct())
                Time($"{w.Name}: ADef, {device}, batch {bestBatchSize}", "ADef", device, cuda, w.Images, w.Labels, bestBatchSize, timings,
                    RunAdef(w.Adef, bestBatchSize, w.Images, w.Labels));
            int[] allBatchSizes = bestBatchSizes.Prepend(w.BatchSize).Distinct().ToArray();
            if (tf32) TimeWithTf32(w.Name, device, cudaTf32, w.Images, w.Labels, w.Adef, allBatchSizes, timings);
            if (cudnnBenchmark) TimeWithCudnnBenchmark(w.Name, device, cuda, tf32 ? cudaTf32 : null, w.Images, w.Labels, w.Adef, allBatchSizes, timings);
            agreements.Add(new AttackAgreement("ADef", DeviceAgreement.Compare(adefCpu, adefGpu[..cpuCount], r => r.TNorm)));
            agreements.Add(new AttackAgreement("DeepFool ℓ2", DeviceAgreement.Compare(deepFoolCpu, deepFoolGpu[..cpuCount], r => r.PixelL2)));
        }
        w.Module.to(CPU);
        return new ModelReport(w.Name, timings, agreements);
    }

    /// <summary>
    /// Runs ADef and DeepFool once more on <paramref name="device"/> with the device synchronised around every model call,
    /// and reports how much of each attack's wall time the model's forward and backward passes took. On the CPU, only
    /// the workload's CPU-side images are attacked (as in <see cref="Compare"/>).
    /// </summary>
    public static List<TimeSplit> Split(DeviceWorkload w, Device device)
    {
        var (images, labels, count) = device.type == DeviceType.CPU ? w.CpuSide() : (w.Images, w.Labels, w.Count);
        var splits = new List<TimeSplit>();
        w.Module.to(device);
        using var classifier = new TorchSharpClassifier(w.Module, w.Shape, w.Classes, TorchSharpDevices.ToComputeDevice(device));
        var attacks = new (string Attack, Func<IDifferentiableClassifier, IProgress<AttackProgress>, AttackResult[]> Run)[]
        {
            ("ADef", RunAdef(w.Adef, w.BatchSize, images, labels)),
            ("DeepFool ℓ2", RunDeepFool(w.DeepFool, w.BatchSize, images, labels)),
        };
        foreach (var (attack, run) in attacks)
        {
            var timed = new TimedClassifier(classifier);
            var (_, seconds) = AttackRunner.Run($"{w.Name}: {attack}, {device}, model time", count, progress => run(timed, progress));
            splits.Add(new TimeSplit(w.Name, attack, device.ToString(), Math.Min(w.BatchSize, count), count, seconds, timed.InModel.TotalSeconds, timed.Calls,
                timed.ForwardImages, timed.BackwardImages));
        }
        w.Module.to(CPU);
        return splits;
    }

    /// <summary>
    /// Times ADef on CUDA again at every batch size on <paramref name="cudaTf32"/>, the classifier with TF32 allowed
    /// (<see cref="TorchSharpClassifier.AllowTf32"/>, the user's opt-in): what the opt-in buys, and how far its rounding moves
    /// success and mean iterations.
    /// </summary>
    internal static void TimeWithTf32(string name, string device, IDifferentiableClassifier cudaTf32, float[] images, int[]? labels, AdefOptions adef,
        IEnumerable<int> batchSizes, List<Timing> timings)
    {
        foreach (int batchSize in batchSizes)
            Time($"{name}: ADef, {device}, TF32, batch {batchSize}", "ADef", $"{device}, TF32", cudaTf32, images, labels, batchSize, timings,
                RunAdef(adef, batchSize, images, labels));
    }

    /// <summary>
    /// Times ADef on CUDA again with cuDNN's benchmark mode on, twice per batch size (and, given <paramref name="cudaTf32"/>, the
    /// classifier with TF32 allowed, twice more on it): the first run also pays for timing the convolution algorithms of every new
    /// shape (each count of still-active images is one), the second finds them chosen. The switch is restored afterwards.
    /// </summary>
    internal static void TimeWithCudnnBenchmark(string name, string device, IDifferentiableClassifier cuda, IDifferentiableClassifier? cudaTf32,
        float[] images, int[]? labels, AdefOptions adef, IEnumerable<int> batchSizes, List<Timing> timings)
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
                foreach (IDifferentiableClassifier classifier in cudaTf32 is null ? new[] { cuda } : new[] { cuda, cudaTf32 })
                    for (int run = 1; run <= 2; run++)
                    {
                        string variant = classifier == cudaTf32 ? "TF32, cudnn.benchmark" : "cudnn.benchmark";
                        Time($"{name}: ADef, {device}, {variant}, batch {batchSize}, run {run}", "ADef", $"{device}, {variant} run {run}",
                            classifier, images, labels, batchSize, timings, RunAdef(adef, batchSize, images, labels));
                    }
        }
        finally
        {
            CudnnBenchmark.TrySet(before.Value, out _);
        }
    }

    /// <summary>ADef with <paramref name="adef"/> in batches of <paramref name="batchSize"/> over the images, as <see cref="Time{T}"/> runs it.</summary>
    private static Func<IDifferentiableClassifier, IProgress<AttackProgress>, AdefResult[]> RunAdef(AdefOptions adef, int batchSize, float[] images,
        int[]? labels) => (c, progress) => new AdefAttack(c, adef with { BatchSize = batchSize }).Run(images, labels, progress: progress);

    /// <summary>DeepFool with <paramref name="deepFool"/> in batches of <paramref name="batchSize"/> over the images, as <see cref="Time{T}"/> runs it.</summary>
    private static Func<IDifferentiableClassifier, IProgress<AttackProgress>, PerturbationResult[]> RunDeepFool(DeepFoolOptions deepFool, int batchSize,
        float[] images, int[]? labels) => (c, progress) => new DeepFoolAttack(c, deepFool with { BatchSize = batchSize }).Run(images, labels, progress: progress);

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
