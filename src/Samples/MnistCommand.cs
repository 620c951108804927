using System.CommandLine;
using System.Diagnostics;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace Adef.Samples;

/// <summary>The main job: train MNIST-A, attack it with ADef and DeepFool, print the seed's table.</summary>
internal static class MnistCommand
{
    public static Command Create()
    {
        var epochs = new Option<int>("--epochs") { Description = "Training epochs of MNIST-A (cached; more epochs resume).", DefaultValueFactory = _ => 10 };
        var command = new Command("mnist", "Train MNIST-A (cached), then attack test digits with ADef and DeepFool.");
        command.Options.Add(epochs);
        command.SetAction(parse => Run(parse.GetValue(epochs)));
        return command;
    }

    private static int Run(int epochs)
    {
        set_num_threads(Environment.ProcessorCount);
        var stopwatch = Stopwatch.StartNew();
        LabeledImages train = Mnist.LoadTrain();
        LabeledImages test = Mnist.LoadTest();
        AnsiConsole.MarkupLine($"MNIST: {train.Count} training and {test.Count} test digits ({stopwatch.Elapsed.TotalSeconds:0.0} s).");
        var options = new TrainingOptions { Epochs = epochs };
        using var model = MnistModelCache.GetOrTrain("MNIST-A", options, train);
        using var classifier = new TorchSharpClassifier(model, new ImageShape(1, 28, 28), 10);
        double accuracy = ClassifierAccuracy.Accuracy(classifier, test);
        AnsiConsole.MarkupLine($"MNIST-A test accuracy: {accuracy:P2}");
        return 0;
    }
}
