using Adef.MLNet.Imaging;
using BenchmarkDotNet.Attributes;

namespace Adef.Benchmarks.Kernels;

/// <summary>
/// The single-image span kernels one ADef step runs per image and candidate: the warp of the image by the field, the
/// image's spatial gradient, the Gaussian smoothing of a 2-plane field and its T-norm. MNIST's and ImageNet's input
/// shapes, each with its preset's σ, so the smoothing kernel's width is the one the attack uses.
/// </summary>
[MemoryDiagnoser]
public class ImagingKernels
{
    private float[] _image = [], _field = [], _output = [], _dx = [], _dy = [], _smoothed = [], _scratch = [], _kernel = [];
    private int _channels, _height, _width;

    [Params("1x28x28", "3x224x224")]
    public string Shape { get; set; } = "1x28x28";

    [GlobalSetup]
    public void Setup()
    {
        int[] dims = Shape.Split('x').Select(int.Parse).ToArray();
        (_channels, _height, _width) = (dims[0], dims[1], dims[2]);
        int plane = _height * _width;
        // Seeded, so every run and every revision times the same numbers; displacements of about a pixel, as in a
        // step, so the warp samples between pixels and near the clamped border.
        var random = new Random(0);
        _image = Enumerable.Range(0, _channels * plane).Select(_ => random.NextSingle()).ToArray();
        _field = Enumerable.Range(0, 2 * plane).Select(_ => 2 * random.NextSingle() - 1).ToArray();
        _output = new float[_image.Length];
        _dx = new float[_image.Length];
        _dy = new float[_image.Length];
        _smoothed = new float[_field.Length];
        _scratch = new float[GaussianSmoothing.ScratchLength(_height, _width)];
        // σ of AdefOptions.Mnist (0.5) for the MNIST shape and of AdefOptions.ImageNet (1) for the ImageNet shape.
        _kernel = GaussianSmoothing.Kernel(_channels == 1 ? 0.5 : 1.0);
    }

    [Benchmark]
    public void Warp() => BilinearWarp.Apply(_image, _field, _output, _channels, _height, _width);

    [Benchmark]
    public void Gradient() => ImageGradient.Compute(_image, _dx, _dy, _channels, _height, _width);

    [Benchmark]
    public void SmoothField() => GaussianSmoothing.Apply(_field, _smoothed, 2, _height, _width, _kernel, _scratch);

    // Returned so that the JIT cannot drop the call.
    [Benchmark]
    public double TNorm() => FieldNorms.TNorm(_field, _height, _width);
}
