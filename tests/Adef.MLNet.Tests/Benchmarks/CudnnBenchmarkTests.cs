using System.Runtime.InteropServices;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Tests.Attacks.Operations;
using Adef.GpuCheck;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests.Benchmarks;

[Collection(TensorCountCollection.Name)] // the flags are process-wide libtorch settings
public class CudnnBenchmarkTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFlag(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool value);

    [Fact]
    public void SwitchesLibtorchsBenchmarkFlagAndReadsItBack()
    {
        bool? before = CudnnBenchmark.Get(out string? error);
        Assert.True(before.HasValue, error);
        try
        {
            Assert.True(CudnnBenchmark.TrySet(true, out error), error);
            Assert.True(CudnnBenchmark.Get(out _));
            Assert.True(CudnnBenchmark.TrySet(false, out error), error);
            Assert.False(CudnnBenchmark.Get(out _));
        }
        finally
        {
            CudnnBenchmark.TrySet(before!.Value, out _);
        }
    }

    [Fact]
    public void ReachesTheSameLibtorchContextAsTorchSharp()
    {
        // A second copy of libtorch would have its own context: a flag set through ours must show in TorchSharp's.
        const string setAllowTf32CuDnn = "_ZN2at7Context17setAllowTF32CuDNNEb";
        Assert.True(CudnnBenchmark.TryGetContext(out IntPtr library, out IntPtr context, out string? error, setAllowTf32CuDnn), error);
        var set = Marshal.GetDelegateForFunctionPointer<SetFlag>(NativeLibrary.GetExport(library, setAllowTf32CuDnn));
        bool before = backends.cudnn.allow_tf32;
        try
        {
            set(context, !before);
            Assert.Equal(!before, backends.cudnn.allow_tf32);
            set(context, before);
            Assert.Equal(before, backends.cudnn.allow_tf32);
        }
        finally
        {
            backends.cudnn.allow_tf32 = before;
        }
    }

    [Fact]
    public void NamesAMissingExport()
    {
        Assert.False(CudnnBenchmark.TryGetContext(out _, out _, out string? error, "no_such_symbol"));
        Assert.Equal("libtorch_cpu.so does not export no_such_symbol", error);
    }

    [Fact]
    public void GpuCheckTimesAdefTwicePerBatchSizeWithTheSwitchOnAndRestoresItAfterwards()
    {
        var timings = new List<Timing>();

        TimeTinyModel((_, classifier, images, options) =>
            DeviceRun.TimeWithCudnnBenchmark("tiny", "cpu", classifier, null, images, null, options, new[] { 4, 2 }, timings));

        Assert.Equal(new[] { (4, "cpu, cudnn.benchmark run 1"), (4, "cpu, cudnn.benchmark run 2"), (2, "cpu, cudnn.benchmark run 1"), (2, "cpu, cudnn.benchmark run 2") },
            timings.Select(t => (t.BatchSize, t.Device)));
        Assert.All(timings, t => Assert.Equal(5, t.Images));
        Assert.False(CudnnBenchmark.Get(out _));
    }

    [Fact]
    public void WithTf32GpuCheckAlsoTimesTheOptInOncePerBatchSizeAndTwiceUnderTheBenchmarkSwitch()
    {
        var tf32 = new List<Timing>();
        var both = new List<Timing>();

        TimeTinyModel((model, classifier, images, options) =>
        {
            using var withTf32 = new TorchSharpClassifier(model, new ImageShape(1, 4, 4), 3) { AllowTf32 = true };
            DeviceRun.TimeWithTf32("tiny", "cpu", withTf32, images, null, options, new[] { 4, 2 }, tf32);
            DeviceRun.TimeWithCudnnBenchmark("tiny", "cpu", classifier, withTf32, images, null, options, new[] { 4 }, both);
        });

        Assert.Equal(new[] { (4, "cpu, TF32"), (2, "cpu, TF32") }, tf32.Select(t => (t.BatchSize, t.Device)));
        Assert.Equal(new[] { "cpu, cudnn.benchmark run 1", "cpu, cudnn.benchmark run 2", "cpu, TF32, cudnn.benchmark run 1", "cpu, TF32, cudnn.benchmark run 2" },
            both.Select(t => t.Device));
        Assert.All(tf32.Concat(both), t => Assert.Equal(5, t.Images));
        Assert.False(CudnnBenchmark.Get(out _));
    }

    /// <summary>The timing loops need no GPU: a CPU classifier exercises them (cuDNN and TF32 then change nothing).</summary>
    private static void TimeTinyModel(Action<nn.Module<Tensor, Tensor>, TorchSharpClassifier, float[], AdefOptions> time)
    {
        using var model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3));
        using var classifier = new TorchSharpClassifier(model, new ImageShape(1, 4, 4), 3);
        float[] images = Enumerable.Range(0, 5 * 16).Select(i => (float)Math.Cos(i * 0.29)).ToArray();
        time(model, classifier, images, AdefOptions.Mnist with { CandidateRanks = new[] { 1, 2 } });
    }
}
