using System.CommandLine;
using System.Text.Json;
using Adef.Experiments;
using Adef.MLNet;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.GpuCheck;

/// <summary>
/// The same models and images through ADef and DeepFool on the CPU and on CUDA: agreement (success rate, mean iterations,
/// max |Δτ|) and images/s for each, for MNIST-A (MNIST preset) and a randomly initialised ResNet-50 at 224 px (ImageNet
/// preset). Without CUDA it runs the CPU side, prints "CUDA unavailable: reason" and exits with 3.
/// </summary>
internal static class GpuCheckCommand
{
    private const int CudaUnavailable = 3;
    private const int Disagreement = 1;

    /// <summary>The program's root command: gpu-check has no subcommands, so its options follow the program name directly.</summary>
    public static RootCommand Create()
    {
        var images = new Option<int>("--images") { Description = "MNIST test digits (1–10000).", DefaultValueFactory = _ => 10000 };
        var batchSize = new Option<int>("--batch-size") { Description = "MNIST batch size on both devices.", DefaultValueFactory = _ => 1000 };
        var bestBatch = new Option<int[]>("--best-batch-sizes")
        {
            Description = "Also time MNIST ADef on CUDA at these batch sizes, to find the best one.", DefaultValueFactory = _ => [10000],
            AllowMultipleArgumentsPerToken = true,
        };
        var cpuImages = new Option<int?>("--cpu-images") { Description = "MNIST digits attacked on the CPU too (the first ones; agreement covers them). Default: all." };
        var profile = new Option<bool>("--profile")
        {
            Description = "Also run each attack once more with the device synchronised around every model call and print the model's share of the time.",
        };
        var cudnnBenchmark = new Option<bool>("--cudnn-benchmark")
        {
            Description = "Also time ADef on CUDA (every batch size above) with cuDNN's benchmark mode on, twice each.",
        };
        var tf32 = new Option<bool>("--tf32")
        {
            Description = "Also time ADef on CUDA (every batch size above) with TF32 allowed, the attacks' opt-in (with --cudnn-benchmark, that way too).",
        };
        var resnetBest = new Option<int[]>("--resnet-best-batch-sizes")
        {
            Description = "Also time ResNet-50 ADef on CUDA at these batch sizes.", DefaultValueFactory = _ => [], AllowMultipleArgumentsPerToken = true,
        };
        var resnetImages = new Option<int>("--resnet-images") { Description = "ResNet-50 images, 3×224×224 (0 = skip ResNet-50).", DefaultValueFactory = _ => 256 };
        var resnetCpuImages = new Option<int>("--resnet-cpu-images") { Description = "ResNet-50 images attacked on the CPU too (the first ones; agreement covers them).", DefaultValueFactory = _ => 64 };
        var resnetBatch = new Option<int>("--resnet-batch-size") { Description = "ResNet-50 batch size on both devices.", DefaultValueFactory = _ => 128 };
        var seed = new Option<int>("--seed") { Description = "Seed of ResNet-50's random weights and images.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "The CUDA device: cuda or cuda:N.", DefaultValueFactory = _ => "cuda" };
        var output = new Option<string>("--out") { Description = "Folder for gpu-check.json.", DefaultValueFactory = _ => Path.Combine("out", "gpu-check") };
        var command = new RootCommand("gpu-check: run ADef and DeepFool on the CPU and on CUDA with the same models and images; print agreement and images/s.");
        foreach (Option option in new Option[] { images, batchSize, bestBatch, cpuImages, resnetImages, resnetCpuImages, resnetBatch, resnetBest, profile, cudnnBenchmark, tf32, seed, device, output }) command.Options.Add(option);
        command.SetAction(parse => Run(new Settings(parse.GetValue(images), parse.GetValue(batchSize), parse.GetValue(bestBatch)!,
            parse.GetValue(resnetImages), parse.GetValue(resnetBatch), parse.GetValue(seed), parse.GetValue(device)!, parse.GetValue(output)!,
            parse.GetValue(resnetCpuImages), parse.GetValue(cpuImages), parse.GetValue(resnetBest)!, parse.GetValue(profile),
            parse.GetValue(cudnnBenchmark), parse.GetValue(tf32))));
        return command;
    }

    internal sealed record Settings(int Images, int BatchSize, int[] BestBatchSizes, int ResNetImages, int ResNetBatchSize, int Seed, string Device, string Out,
        int ResNetCpuImages = 64, int? CpuImages = null, int[]? ResNetBestBatchSizes = null, bool Profile = false, bool CudnnBenchmark = false, bool Tf32 = false);

    private static int Run(Settings s)
    {
        if (s.Images is < 1 or > 10000 || s.BatchSize < 1 || s.BestBatchSizes.Any(b => b < 1) || s.CpuImages < 1 || (s.ResNetBestBatchSizes ?? []).Any(b => b < 1) || s.ResNetImages < 0 || s.ResNetBatchSize < 1 || s.ResNetCpuImages < 1)
        {
            AnsiConsole.MarkupLine("[red]--images must lie in 1–10000, batch sizes and --cpu-images be ≥ 1, --resnet-images ≥ 0, --resnet-cpu-images ≥ 1.[/]");
            return 2;
        }
        if (!ComputeDevice.TryParse(s.Device, out ComputeDevice wanted) || wanted.Kind != ComputeDeviceKind.Cuda)
        {
            AnsiConsole.MarkupLine($"[red]--device must be cuda or cuda:N, not '{Markup.Escape(s.Device)}'.[/]");
            return 2;
        }
        set_num_threads(Environment.ProcessorCount);
        Device? gpu = null;
        string? unavailable = null;
        try
        {
            gpu = TorchSharpDevices.Resolve(wanted);
        }
        catch (DeviceUnavailableException e)
        {
            unavailable = e.Message;
            AnsiConsole.MarkupLine($"[yellow]CUDA unavailable: {Markup.Escape(e.Message)}[/] Running the CPU side only.");
        }

        var reports = new List<ModelReport>();
        var splits = new List<TimeSplit>();
        LabeledImages test = Mnist.LoadTest().Take(s.Images);
        // The mnist command's MNIST-A; a machine given only the cached weights and the test set needs no training data.
        var trainingOptions = new TrainingOptions { Epochs = 22, FinalEpochsAtTenthRate = 2 };
        using (var mnistA = MnistModelCache.TryLoadTrained("MNIST-A", trainingOptions)
                            ?? MnistModelCache.GetOrTrain("MNIST-A", trainingOptions, Mnist.LoadTrain()))
        {
            var mnist = new DeviceWorkload("MNIST-A", mnistA, new ImageShape(1, 28, 28), 10, test.Pixels, test.Labels,
                AdefOptions.Mnist, new DeepFoolOptions(), s.BatchSize, s.CpuImages);
            reports.Add(DeviceRun.Compare(mnist, s.BestBatchSizes, gpu, s.CudnnBenchmark, s.Tf32));
            if (s.Profile) splits.AddRange(DeviceRun.Split(mnist, gpu ?? CPU));
        }
        if (s.ResNetImages > 0)
        {
            using var resnet = new ResNet50(classes: 1000, seed: s.Seed);
            float[] photos = SyntheticPhotos.Generate(s.ResNetImages, 224, s.Seed);
            var imageNet = new DeviceWorkload($"ResNet-50 seed {s.Seed}", resnet, new ImageShape(3, 224, 224), 1000, photos, null,
                AdefOptions.ImageNet, new DeepFoolOptions(), s.ResNetBatchSize, s.ResNetCpuImages);
            reports.Add(DeviceRun.Compare(imageNet, s.ResNetBestBatchSizes ?? [], gpu, s.CudnnBenchmark, s.Tf32));
            if (s.Profile) splits.AddRange(DeviceRun.Split(imageNet, gpu ?? CPU));
        }

        Print(reports, gpu);
        if (splits.Count > 0) PrintSplits(splits);
        Directory.CreateDirectory(s.Out);
        string path = Path.Combine(s.Out, "gpu-check.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            device = gpu is null ? null : wanted.ToString(),
            cudaUnavailable = unavailable,
            cpuThreads = Environment.ProcessorCount,
            tf32 = "off, except in the timings whose device names TF32",
            settings = s,
            models = reports,
            modelTimeSplits = splits,
        }, SampleJson.Options));
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(Path.GetFullPath(path))}.");

        if (unavailable is not null)
        {
            Console.WriteLine($"CUDA unavailable: {unavailable}");
            return CudaUnavailable;
        }
        return reports.All(r => r.Agreements.All(a => a.Agreement.Agrees)) ? 0 : Disagreement;
    }

    private static void PrintSplits(List<TimeSplit> splits)
    {
        var table = new Table().Title("Where the time goes (device synchronised around every model call)");
        foreach (string column in new[] { "Model", "Attack", "Device", "Batch", "Seconds", "In the model", "Model calls", "Forward / backward images", "Rest (attack operations, copies)" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (TimeSplit t in splits)
            table.AddRow(Markup.Escape(t.Model), t.Attack, t.Device, t.BatchSize.ToString(), $"{t.Seconds:0.00}", $"{t.ModelSeconds:0.00} ({t.ModelShare:P0})",
                t.ModelCalls.ToString(), $"{t.ForwardImages} / {t.BackwardImages}", $"{t.Seconds - t.ModelSeconds:0.00}");
        AnsiConsole.Write(table);
    }

    private static void Print(List<ModelReport> reports, Device? gpu)
    {
        var speed = new Table().Title("Images per second (TF32 off unless the device says so; wall clock, results on the host)");
        foreach (string column in new[] { "Model", "Attack", "Device", "Batch", "Success", "Mean iterations", "Images/s" })
            speed.AddColumn(new TableColumn(column).RightAligned());
        foreach (ModelReport report in reports)
            foreach (Timing t in report.Timings)
                speed.AddRow(Markup.Escape(report.Model), t.Attack, t.Device, t.BatchSize.ToString(), $"{t.SuccessRate:P2}",
                    $"{t.MeanIterations:0.000}", $"{t.ImagesPerSecond:0.0}");
        AnsiConsole.Write(speed);
        if (gpu is null) return;

        var agreement = new Table().Title("CPU against CUDA, image by image");
        foreach (string column in new[] { "Model", "Attack", "Δ success (points)", "Δ mean iterations", "max |Δ norm|", "Same outcome", "Agrees (≤ 0.5 pt, ≤ 5 %)" })
            agreement.AddColumn(new TableColumn(Markup.Escape(column)).RightAligned());
        foreach (ModelReport report in reports)
            foreach (var (attack, a) in report.Agreements.Select(x => (x.Attack, x.Agreement)))
                agreement.AddRow(Markup.Escape(report.Model), attack, $"{a.SuccessPoints:0.00}", $"{a.IterationsRelative:P2}",
                    $"{a.MaxNormDifference:E2}", $"{a.SameOutcome}/{a.Images}", a.Agrees ? "[green]yes[/]" : "[red]no[/]");
        AnsiConsole.Write(agreement);
        AnsiConsole.MarkupLine("max |Δ norm| is ‖τ‖_T in pixels for ADef and the pixel ℓ2 of the perturbation for DeepFool.");
    }
}
