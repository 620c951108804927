using System.Buffers.Binary;
using System.CommandLine;
using Adef.Experiments;
using Spectre.Console;
using static TorchSharp.torch;

namespace Adef.Samples;

/// <summary>
/// <c>cluster-inputs</c>: a job for trying <c>adef worker</c> and <c>adef attack --cluster</c> without any download: an
/// untrained MNIST-A (weights from a fixed seed) exported to ONNX and an idx file of random 28×28 digits. The cluster
/// check (tests/ClusterCheck/run.sh) runs on them.
/// </summary>
internal static class ClusterInputsCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder for mnist-a.onnx and digits-images-idx3-ubyte.", Required = true };
        var images = new Option<int>("--images") { Description = "How many digits.", DefaultValueFactory = _ => 1000 };
        var command = new Command("cluster-inputs", "Write an untrained MNIST-A (ONNX) and random digits (idx) to try a cluster of adef workers on.");
        command.Options.Add(output);
        command.Options.Add(images);
        command.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(images)));
        return command;
    }

    private static int Run(string folder, int count)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "--images must be at least 1.");
        Directory.CreateDirectory(folder);
        manual_seed(11);
        string model = Path.Combine(folder, "mnist-a.onnx");
        using (var network = new MnistA()) MnistOnnxExporter.Save(network, model);

        const int side = 28;
        var bytes = new byte[16 + count * side * side];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x0803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), side);
        new Random(4).NextBytes(bytes.AsSpan(16));
        string images = Path.Combine(folder, "digits-images-idx3-ubyte");
        File.WriteAllBytes(images, bytes);
        AnsiConsole.MarkupLine($"Wrote {Markup.Escape(model)} and {count} digits to {Markup.Escape(images)}.");
        return 0;
    }
}
