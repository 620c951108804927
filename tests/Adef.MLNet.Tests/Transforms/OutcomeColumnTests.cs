using Adef.MLNet.Attacks;
using Adef.MLNet.Evaluation;
using Adef.MLNet.Tests.TestSupport;
using Adef.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Tests.Transforms;

public class OutcomeColumnTests
{
    [Fact]
    public void OutcomeAndOvershotSayHowEachRowEndedAndTheReportCountsThem()
    {
        var ml = new MLContext(seed: 1);
        var blobs = QuadrantBlobs.Generate(24, seed: 17);
        int size = QuadrantBlobs.Shape.Size;
        // Every fifth label is wrong, so those rows are not attacked; a small budget and few iterations end the others variously.
        int[] labels = blobs.Labels.Select((l, i) => i % 5 == 0 ? (l + 1) % 4 : l).ToArray();
        IDataView data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 24).Select(i => new AttackTransformTests.PixelRow
        {
            Pixels = blobs.Pixels.AsSpan(i * size, size).ToArray(), Id = i, Label = labels[i],
        }).ToArray());
        var attack = new AdefOptions { CandidateRanks = [1, 2], MaxIterations = 3, MaxNorm = 2, Sigma = 0.5, OvershootFactor = 1.2 };
        var options = new AdefTransformOptions { Attack = attack, LabelColumnName = "Label", OutcomeColumnName = "Ended", OvershotColumnName = "Scaled" };

        IDataView attacked = ml.Transforms.Adef(QuadrantBlobs.Classifier, options).Fit(data).Transform(data);
        AdefResult[] expected = new AdefAttack(QuadrantBlobs.Classifier, attack).Run(blobs.Pixels, labels);  // one batch, as the transform's

        string[] ended = attacked.GetColumn<string>("Ended").ToArray();
        Assert.Equal(expected.Select(r => r.Outcome.ToString()), ended);
        Assert.Equal(expected.Select(r => r.Overshot), attacked.GetColumn<bool>("Scaled"));
        Assert.Equal(expected.Select(r => r.Outcome), ended.Select(Enum.Parse<AttackOutcome>));
        Assert.True(expected.Select(r => r.Outcome).Distinct().Count() >= 3, string.Join(", ", ended.Distinct()));
        Assert.Equal([false, true], expected.Select(r => r.Overshot).Distinct().Order());

        RobustnessReport fromView = RobustnessReport.FromDataView(attacked, options: options);
        Assert.Equal(RobustnessReport.From(expected).OutcomeCounts, fromView.OutcomeCounts);
        Assert.Equal(24, fromView.OutcomeCounts.Values.Sum());
        Assert.Equal(5, fromView.OutcomeCounts[AttackOutcome.AlreadyMisclassified]);
    }
}
