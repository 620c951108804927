using Adef.ConsoleProgress;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Training;
using Adef.Samples;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Training;

public class AdversarialTrainingTests
{
    private const int ImageSize = QuadrantBlobs.Size * QuadrantBlobs.Size;
    private static readonly LabeledImages Data = Clamped(QuadrantBlobs.Generate(40, seed: 17));
    private static readonly PgdOptions SmallPgd = new() { Epsilon = 0.1, StepSize = 0.04, Steps = 3 };

    [Fact]
    public void TheOptimiserGetsThePgdBatchCraftedInEvaluationMode()
    {
        var model = Recorder.Create(seed: 21);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 40, LearningRate = 1e-3, AdversarialTraining = AdversarialTraining.Pgd, Pgd = SmallPgd };
        var reports = new List<TrainingProgress>();
        ClassifierTrainer.Train(model, Data, options, progress: new SynchronousProgress<TrainingProgress>(reports.Add));

        float[] batch = Assert.Single(model.TrainingInputs);
        Assert.Equal(40 * ImageSize, batch.Length);
        Assert.True(model.EvaluationForwards >= SmallPgd.Steps + 1, $"{model.EvaluationForwards} forward passes in evaluation mode");
        int moved = 0;
        for (int i = 0; i < 40; i++)
        {
            float[] adversarial = batch.AsSpan(i * ImageSize, ImageSize).ToArray();
            double distance = Enumerable.Range(0, 40).Min(j => LInf(adversarial, Data.Image(j)));
            Assert.True(distance <= SmallPgd.Epsilon + 1e-6, $"batch image {i} lies {distance} from every clean image");
            if (distance > 0.05) moved++;
        }
        // Images the initial model already gets wrong stay clean; every other one is perturbed.
        Assert.Equal(CorrectlyClassified(Recorder.Create(seed: 21)), moved);
        Assert.True(moved >= 5, $"only {moved} images attacked: the test would prove little");
        TrainingProgress report = Assert.Single(reports);
        Assert.InRange(report.FooledFraction, 0, 1);
        Assert.False(model.training);
    }

    [Fact]
    public void TheOptimiserGetsTheAdefBatch()
    {
        var model = Recorder.Create(seed: 22);
        var options = new TrainingOptions
        {
            Epochs = 1, BatchSize = 40, LearningRate = 1e-3, AdversarialTraining = AdversarialTraining.Adef,
            Adef = AdefOptions.AdversarialTraining with { MaxIterations = 5 },
        };
        ClassifierTrainer.Train(model, Data, options);

        float[] batch = Assert.Single(model.TrainingInputs);
        using var initial = new TorchSharpClassifier(Recorder.Create(seed: 22), QuadrantBlobs.Shape, 4);
        AdefResult[] expected = new AdefAttack(initial, options.Adef).Run(Data.Pixels, Data.Labels);
        Assert.True(expected.Count(r => r.Iterations > 0) >= 5, "too few images attacked: the test would prove little");
        var unmatched = expected.ToList();
        for (int i = 0; i < 40; i++)
        {
            float[] image = batch.AsSpan(i * ImageSize, ImageSize).ToArray();
            AdefResult? match = unmatched.FirstOrDefault(r => LInf(r.AdversarialImage, image) <= 1e-4);
            Assert.True(match is not null, $"batch image {i} is none of ADef's results on the clean images");
            unmatched.Remove(match!);
        }
    }

    [Fact]
    public void AdversarialTrainingChangesTheModelOtherwiseThanCleanTraining()
    {
        float[] initial = Weights(Recorder.Create(seed: 23));
        var clean = Recorder.Create(seed: 23);
        var adversarial = Recorder.Create(seed: 23);
        var options = new TrainingOptions { Epochs = 1, BatchSize = 20, LearningRate = 1e-3, Pgd = SmallPgd };
        ClassifierTrainer.Train(clean, Data, options);
        options.AdversarialTraining = AdversarialTraining.Pgd;
        ClassifierTrainer.Train(adversarial, Data, options);

        Assert.NotEqual(initial, Weights(adversarial));
        Assert.NotEqual(Weights(clean), Weights(adversarial));
        var cleanReports = new List<TrainingProgress>();
        options.AdversarialTraining = AdversarialTraining.None;
        ClassifierTrainer.Train(Recorder.Create(seed: 23), Data, options, progress: new SynchronousProgress<TrainingProgress>(cleanReports.Add));
        Assert.All(cleanReports, r => Assert.True(double.IsNaN(r.FooledFraction)));
    }

    [Fact]
    public void PgdTrainingMakesTheTinyTaskMoreRobust()
    {
        LabeledImages train = Clamped(QuadrantBlobs.Generate(400, seed: 3));
        float[] test = Clamped(QuadrantBlobs.Generate(100, seed: 4)).Pixels;
        var attack = new PgdOptions { Epsilon = 0.25, StepSize = 0.05, Steps = 8 };
        double PgdSuccess(AdversarialTraining method)
        {
            var network = QuadrantBlobs.CreateNetwork(seed: 5);
            ClassifierTrainer.Train(network, train, new TrainingOptions
            {
                Epochs = 8, BatchSize = 50, LearningRate = 3e-3, AdversarialTraining = method, Pgd = attack with { Steps = 3, StepSize = 0.1 },
            });
            using var classifier = new TorchSharpClassifier(network, QuadrantBlobs.Shape, 4);
            PerturbationResult[] results = new PgdAttack(classifier, attack).Run(test);
            return results.Count(r => r.Success) / 100.0;
        }

        double clean = PgdSuccess(AdversarialTraining.None), robust = PgdSuccess(AdversarialTraining.Pgd);
        Assert.True(clean >= 0.3 && robust <= clean / 2, $"PGD success {robust:P0} after PGD training, {clean:P0} after clean training");
    }

    [Fact]
    public void AResumedRunSeesTheSameFirstAdversarialBatchAsAnUninterruptedOne()
    {
        using var folder = new TempFolder();
        string checkpoint = folder.File("epoch1.weights");
        var options = new TrainingOptions
        {
            Epochs = 2, BatchSize = 10, ImagesPerEpoch = 20, LearningRate = 1e-3, AdversarialTraining = AdversarialTraining.Pgd, Pgd = SmallPgd,
        };
        var straight = Recorder.Create(seed: 24);
        var completed = new List<int>();
        ClassifierTrainer.Train(straight, Data, options, epochCompleted: epoch =>
        {
            completed.Add(epoch);
            if (epoch == 0) straight.save(checkpoint);
        });
        Assert.Equal(new[] { 0, 1 }, completed);
        Assert.Equal(4, straight.TrainingInputs.Count); // 20 images per epoch in batches of 10

        var resumed = Recorder.Create(seed: 99);
        resumed.load(checkpoint);
        var reports = new List<TrainingProgress>();
        completed.Clear();
        ClassifierTrainer.Train(resumed, Data, options, firstEpoch: 1, epochCompleted: completed.Add,
            progress: new SynchronousProgress<TrainingProgress>(reports.Add));

        Assert.Equal(new[] { 1 }, completed);
        Assert.All(reports, r => Assert.Equal(1, r.Epoch));
        Assert.Equal(2, resumed.TrainingInputs.Count);
        Assert.Equal(straight.TrainingInputs[2], resumed.TrainingInputs[0]);
    }

    [Fact]
    public void CancellationStopsBetweenStepsAndLeavesTheModelInEvaluationMode()
    {
        var model = Recorder.Create(seed: 25);
        using var cancellation = new CancellationTokenSource();
        var options = new TrainingOptions { Epochs = 3, BatchSize = 10, AdversarialTraining = AdversarialTraining.Pgd, Pgd = SmallPgd };
        Assert.ThrowsAny<OperationCanceledException>(() => ClassifierTrainer.Train(model, Data, options,
            progress: new SynchronousProgress<TrainingProgress>(_ => cancellation.Cancel()), cancellationToken: cancellation.Token));
        Assert.Single(model.TrainingInputs);
        Assert.False(model.training);
    }

    [Fact]
    public void BadAdversarialOptionsAreRejectedBeforeTraining()
    {
        var model = Recorder.Create(seed: 26);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(model, Data, new TrainingOptions { ImagesPerEpoch = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(model, Data,
            new TrainingOptions { AdversarialTraining = AdversarialTraining.Pgd, Pgd = new PgdOptions { Epsilon = -1 } }));
        Assert.Throws<ArgumentNullException>(() => ClassifierTrainer.Train(model, Data, new TrainingOptions { Pgd = null! }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(model, Data,
            new TrainingOptions { AdversarialTraining = AdversarialTraining.Adef, Adef = new AdefOptions { CandidateRanks = new[] { 4 } } }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(model, Data, new TrainingOptions { AdversarialTraining = (AdversarialTraining)7 }));
        Assert.Empty(model.TrainingInputs);
    }

    [Fact]
    public void TheAdversarialTrainingPresetIsThePapers()
    {
        AdefOptions preset = AdefOptions.AdversarialTraining;
        Assert.Equal(new[] { 1 }, preset.CandidateRanks);
        Assert.Equal(40, preset.MaxIterations);
        Assert.Equal(3, preset.MaxNorm);
        Assert.Equal(1, preset.Sigma);
        Assert.Equal(1, preset.OvershootFactor);
        Assert.False(preset.RankTargeted);
        Assert.Same(preset, new TrainingOptions().Adef);
        var pgd = new TrainingOptions().Pgd;
        Assert.Equal((0.3, 0.01, 40, true), (pgd.Epsilon, pgd.StepSize, pgd.Steps, pgd.RandomStart));
        ValueBounds bounds = pgd.Bounds(QuadrantBlobs.Classifier); // a classifier that states no preprocessing: pixels in [0, 1]
        Assert.Equal([0f], bounds.Min);
        Assert.Equal([1f], bounds.Max);
    }

    private static int CorrectlyClassified(nn.Module<Tensor, Tensor> model)
    {
        using var classifier = new TorchSharpClassifier(model, QuadrantBlobs.Shape, 4);
        return Enumerable.Range(0, Data.Count).Count(i => ModelChecks.LabelOf(classifier, Data.Image(i).ToArray()) == Data.Labels[i]);
    }

    private static LabeledImages Clamped(LabeledImages data) => data with { Pixels = data.Pixels.Select(v => Math.Clamp(v, 0f, 1f)).ToArray() };

    private static double LInf(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double max = 0;
        for (int p = 0; p < a.Length; p++) max = Math.Max(max, Math.Abs(a[p] - b[p]));
        return max;
    }

    private static float[] Weights(nn.Module model) =>
        model.parameters().SelectMany(p => p.detach().contiguous().data<float>().ToArray()).ToArray();

    /// <summary>The blob network, recording the batches it sees in training mode and counting its evaluation-mode passes.</summary>
    private sealed class Recorder : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;

        private Recorder(nn.Module<Tensor, Tensor> inner) : base(nameof(Recorder))
        {
            _inner = inner;
            RegisterComponents();
        }

        public static Recorder Create(int seed) => new(QuadrantBlobs.CreateNetwork(seed));

        public List<float[]> TrainingInputs { get; } = new();

        public int EvaluationForwards { get; private set; }

        public override Tensor forward(Tensor input)
        {
            if (training) TrainingInputs.Add(input.detach().contiguous().data<float>().ToArray());
            else EvaluationForwards++;
            return _inner.forward(input);
        }
    }
}
