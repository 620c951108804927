using Adef.Experiments;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Attacks;

/// <summary>The options all attacks share (<see cref="AttackOptions"/>) are checked by every attack and reach its engine.</summary>
public class AttackOptionsTests
{
    public static TheoryData<string, Func<AttackOptions, object>> Attacks => new()
    {
        { "ADef", o => new AdefAttack(QuadrantBlobs.Classifier, (AdefOptions)o) },
        { "DeepFool", o => new DeepFoolAttack(QuadrantBlobs.Classifier, (DeepFoolOptions)o) },
        { "PGD", o => new PgdAttack(QuadrantBlobs.Classifier, (PgdOptions)o) },
    };

    private static AttackOptions Defaults(string attack) => attack switch
    {
        "ADef" => new AdefOptions(),
        "DeepFool" => new DeepFoolOptions(),
        _ => new PgdOptions(),
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public void EveryAttackRejectsBadSharedOptionsWithTheirName(string attack, Func<AttackOptions, object> create)
    {
        AttackOptions defaults = Defaults(attack);
        Assert.Equal(nameof(AttackOptions.BatchSize),
            Assert.Throws<ArgumentOutOfRangeException>(() => create(defaults with { BatchSize = 0 })).ParamName);
        Assert.Equal(nameof(AttackOptions.Execution),
            Assert.Throws<ArgumentOutOfRangeException>(() => create(defaults with { Execution = (AttackExecution)7 })).ParamName);
        Assert.NotNull(create(defaults with { BatchSize = 1, Execution = AttackExecution.ClassifierDevice }));
    }

    [Fact]
    public void SharedOptionsTakePartInEqualityAndWith()
    {
        AdefOptions small = AdefOptions.Mnist with { BatchSize = 7 };

        Assert.Equal(7, small.BatchSize);
        Assert.Equal(AdefOptions.Mnist.CandidateRanks, small.CandidateRanks);
        Assert.NotEqual(AdefOptions.Mnist, small);
        Assert.Equal(AdefOptions.Mnist, small with { BatchSize = AdefOptions.Mnist.BatchSize });
        Assert.NotEqual(new PgdOptions(), new PgdOptions { Execution = AttackExecution.Host });
    }

    [Fact]
    public void TheAttackSendsAtMostItsOptionsBatchSizeImagesPerCall()
    {
        var counting = new CountingClassifier(QuadrantBlobs.Classifier);

        new AdefAttack(counting, new AdefOptions { BatchSize = 2, MaxIterations = 3 }).Run(QuadrantBlobs.Generate(5, seed: 3).Pixels);

        Assert.All(counting.Counts, count => Assert.InRange(count, 1, 2));
        Assert.Contains(2, counting.Counts);
    }

    private sealed class CountingClassifier(IDifferentiableClassifier inner) : IDifferentiableClassifier
    {
        public List<int> Counts { get; } = new();

        public ImageShape InputShape => inner.InputShape;

        public int ClassCount => inner.ClassCount;

        public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
        {
            Counts.Add(count);
            inner.ComputeLogits(images, count, logits);
        }

        public void ComputeLogitsAndMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
            Span<float> logits, Span<float> gradients)
        {
            Counts.Add(count);
            inner.ComputeLogitsAndMarginGradients(images, count, targetLabels, targetsPerImage, logits, gradients);
        }
    }
}
