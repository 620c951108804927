using Adef.Cli;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;
using Adef.MLNet.Tests.TestSupport;

namespace Adef.MLNet.Tests.Cli;

/// <summary>The attack command's parsing of the input format and of the attack options.</summary>
[Collection(ConsoleDisplayCollection.Name)]
public class AttackCommandPiecesTests
{
    private static AttackSettings Settings(string attack = "adef") => new(
        "m.onnx", "images", "out", null, attack, null, null, null, null, null, null, null, false, 32, "l2", null, 1, null, null, null,
        null, 0, false, false);

    [Fact]
    public void FormatOptionsBecomeTheLibrarysPreprocessing()
    {
        InputFormat format = InputFormat.Parse("224,224", 255, "104,117,123", null, "bgr", new ImageShape(3, 224, 224));

        Assert.Equal((224, 224, 3 * 224 * 224), (format.Width, format.Height, format.ImageLength));
        Assert.Equal(new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123], [1, 1, 1]), format.Preprocessing);
        Assert.Equal(ChannelOrder.Gray, InputFormat.Parse(null, 1, null, null, null, new ImageShape(1, 28, 28)).Preprocessing.Order);
    }

    [Fact]
    public void MismatchedMeanCountSizeAndChannelsAreUsageErrors()
    {
        var shape = new ImageShape(3, 224, 224);
        var mean = Assert.Throws<UsageException>(() => InputFormat.Parse(null, 1, "0.5,0.5", null, "rgb", shape));
        Assert.Contains("--mean has 2", mean.Message);
        var size = Assert.Throws<UsageException>(() => InputFormat.Parse("32,32", 1, null, null, null, shape));
        Assert.Contains("224×224", size.Message);
        var channels = Assert.Throws<UsageException>(() => InputFormat.Parse(null, 1, null, null, "gray", shape));
        Assert.Contains("model takes 3", channels.Message);
        var scale = Assert.Throws<UsageException>(() => InputFormat.Parse(null, -1, null, null, null, shape));
        Assert.Contains("--scale", scale.Message);
    }

    [Fact]
    public void OvershootFlagsGoToTheirOwnAttack()
    {
        AdefOptions adef = AttackOptionsBuilder.BuildAdef(Settings() with { OvershootFactor = 1.3 }, 10);
        DeepFoolOptions deepFool = AttackOptionsBuilder.BuildDeepFool(Settings("deepfool") with { OvershootFraction = 0.05 });

        Assert.Equal(1.3, adef.OvershootFactor);
        Assert.Equal(0.05, deepFool.OvershootFraction);
    }

    [Fact]
    public void InvalidOptionsAreUsageErrorsNamingTheFlag()
    {
        var factor = Assert.Throws<UsageException>(() => AttackOptionsBuilder.BuildAdef(Settings() with { OvershootFactor = 0.5 }, 10));
        Assert.Contains("--overshoot-factor", factor.Message);
        var fraction = Assert.Throws<UsageException>(() => AttackOptionsBuilder.BuildDeepFool(
            Settings("deepfool") with { OvershootFraction = -0.1 }));
        Assert.Contains("--overshoot-fraction", fraction.Message);
        var candidates = Assert.Throws<UsageException>(() => AttackOptionsBuilder.BuildAdef(Settings() with { Candidates = "1,10" }, 10));
        Assert.Contains("--candidates", candidates.Message);
    }

    [Fact]
    public void PresetCandidatesAreCutToTheModelsClasses()
    {
        AdefOptions options = AttackOptionsBuilder.BuildAdef(Settings() with { Preset = "mnist" }, 4);
        Assert.Equal([1, 2, 3], options.CandidateRanks);
    }

    [Fact]
    public void DeepFoolClipsToTheClassifiersBoundsUnlessNoClipIsGiven()
    {
        DeepFoolOptions clipped = AttackOptionsBuilder.BuildDeepFool(Settings("deepfool"));
        Assert.Equal((null, null), (clipped.ClipMin, clipped.ClipMax)); // null: the classifier's per-channel bounds
        DeepFoolOptions free = AttackOptionsBuilder.BuildDeepFool(Settings("deepfool") with { NoClip = true });
        Assert.Equal((float.NegativeInfinity, float.PositiveInfinity), (free.ClipMin, free.ClipMax));
        Assert.Throws<UsageException>(() => (Settings() with { NoClip = true }).Check());
    }
}
