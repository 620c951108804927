using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.TestSupport;
using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Attacks.Operations;

/// <summary>The attacks on a CUDA classifier; skipped, with the reason, where CUDA is unavailable.</summary>
[Collection(TensorCountCollection.Name)] // TF32 is a process-wide setting
public class CudaExecutionTests
{
    private static string? Unavailable => TorchSharpDevices.IsCudaAvailable(out string reason) ? null : $"CUDA unavailable: {reason}";

    [SkippableFact]
    public void AdefAndDeepFoolOnCudaAgreeWithTheCpuAndKeepTf32Off()
    {
        Skip.If(Unavailable is not null, Unavailable);
        float[] images = QuadrantBlobs.Generate(40, seed: 99).Pixels;
        var network = QuadrantBlobs.CreateNetwork();
        network.load_state_dict(QuadrantBlobs.Network.state_dict());
        using var gpu = new TorchSharpClassifier(network, QuadrantBlobs.Shape, 4, ComputeDevice.Cuda);
        bool? tf32DuringRun = null;
        backends.cudnn.allow_tf32 = true;

        var options = new AdefOptions { CandidateRanks = new[] { 1, 2, 3 }, MaxIterations = 30, Sigma = 0.5, OvershootFactor = 1.2, BatchSize = 16 };
        AdefResult[] cpu = new AdefAttack(QuadrantBlobs.Classifier, options).Run(images);
        AdefResult[] cuda = new AdefAttack(gpu, options).Run(images,
            progress: new Recorder(() => tf32DuringRun = backends.cudnn.allow_tf32 || backends.cuda.matmul.allow_tf32));

        Assert.False(tf32DuringRun);
        Assert.True(backends.cudnn.allow_tf32); // restored
        for (int i = 0; i < cpu.Length; i++)
        {
            Assert.Equal(cpu[i].Outcome, cuda[i].Outcome);
            Assert.Equal(cpu[i].AdversarialLabel, cuda[i].AdversarialLabel);
            Assert.True(Math.Abs(cpu[i].TNorm - cuda[i].TNorm) <= 1e-4 * Math.Max(cpu[i].TNorm, 1e-6), $"image {i}: {cpu[i].TNorm} vs {cuda[i].TNorm}");
        }
        PerturbationResult[] deepFoolCpu = new DeepFoolAttack(QuadrantBlobs.Classifier, new DeepFoolOptions { BatchSize = 16 }).Run(images);
        PerturbationResult[] deepFoolCuda = new DeepFoolAttack(gpu, new DeepFoolOptions { BatchSize = 16 }).Run(images);
        Assert.Equal(deepFoolCpu.Select(r => r.Outcome), deepFoolCuda.Select(r => r.Outcome));
    }

    private sealed class Recorder(Action record) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => record();
    }
}
