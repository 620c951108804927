using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Training;

namespace Adef.MLNet.Tests.Training;

public class TrainingOptionsTests
{
    [Fact]
    public void FinalEpochsRunAtATenthOfTheRate()
    {
        var options = new TrainingOptions { Epochs = 5, LearningRate = 1e-4, FinalEpochsAtTenthRate = 2 };
        Assert.Equal(new[] { 1e-4, 1e-4, 1e-4, 1e-5, 1e-5 }, Enumerable.Range(0, 5).Select(options.LearningRateAt).ToArray(), new ToleranceComparer());
        Assert.Equal(1e-4, new TrainingOptions { Epochs = 5, LearningRate = 1e-4 }.LearningRateAt(4));
    }

    [Fact]
    public void InvalidOptionsAreRejectedBeforeTraining()
    {
        var network = QuadrantBlobs.CreateNetwork();
        var data = QuadrantBlobs.Generate(10, seed: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(network, data, new TrainingOptions { Epochs = 1, FinalEpochsAtTenthRate = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(network, data, new TrainingOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassifierTrainer.Train(network, data, new TrainingOptions { LearningRate = 0 }));
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= 1e-12;
        public int GetHashCode(double value) => 0;
    }
}
