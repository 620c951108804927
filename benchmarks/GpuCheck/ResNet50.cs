using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Adef.GpuCheck;

/// <summary>
/// ResNet-50 (He et al., 2016) as torchvision builds it: a 7×7/2 stem and max-pool, bottleneck stages of
/// [3, 4, 6, 3] blocks (width 64, 128, 256, 512, expansion 4, stride on the 3×3 convolution), global average pooling
/// and a 2048→1000 linear layer; 25,557,032 parameters. TorchSharp 0.107 ships no model zoo, so this is the
/// architecture only, with TorchSharp's default (PyTorch) initialisation. The stride-2 projection shortcuts subsample
/// first and then apply their 1×1 convolution at stride 1: the same function and parameters as a 1×1 convolution at
/// stride 2, whose input-gradient kernel in libtorch 2.10's CPU build dies with SIGFPE (512→1024 channels at 28 px).
/// </summary>
internal sealed class ResNet50 : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _stem;
    private readonly Module<Tensor, Tensor> _stages;
    private readonly Module<Tensor, Tensor> _head;

    /// <summary>A ResNet-50 with <paramref name="classes"/> outputs and seeded random weights.</summary>
    public ResNet50(int classes = 1000, long seed = 0) : base(nameof(ResNet50))
    {
        manual_seed(seed);
        _stem = Sequential(
            Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false), BatchNorm2d(64), ReLU(), MaxPool2d(3, stride: 2, padding: 1));
        var blocks = new List<Module<Tensor, Tensor>>();
        long inPlanes = 64;
        foreach (var (planes, count, stride) in new (long, int, long)[] { (64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2) })
        {
            for (int i = 0; i < count; i++)
            {
                blocks.Add(new Bottleneck(inPlanes, planes, i == 0 ? stride : 1));
                inPlanes = planes * Bottleneck.Expansion;
            }
        }
        _stages = Sequential(blocks);
        _head = Sequential(AdaptiveAvgPool2d(1), Flatten(), Linear(2048, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => _head.forward(_stages.forward(_stem.forward(x)));

    /// <summary>1×1 reduce, 3×3 (with the stride), 1×1 expand; projection shortcut where the shape changes.</summary>
    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        public const long Expansion = 4;
        private readonly Module<Tensor, Tensor> _residual;
        private readonly Module<Tensor, Tensor>? _shortcut;
        private readonly long _stride;

        public Bottleneck(long inPlanes, long planes, long stride) : base(nameof(Bottleneck))
        {
            _residual = Sequential(
                Conv2d(inPlanes, planes, 1, bias: false), BatchNorm2d(planes), ReLU(),
                Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false), BatchNorm2d(planes), ReLU(),
                Conv2d(planes, planes * Expansion, 1, bias: false), BatchNorm2d(planes * Expansion));
            _stride = stride;
            if (stride != 1 || inPlanes != planes * Expansion)
                _shortcut = Sequential(Conv2d(inPlanes, planes * Expansion, 1, bias: false), BatchNorm2d(planes * Expansion));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            if (_shortcut is null) return functional.relu(_residual.forward(x) + x);
            Tensor subsampled = _stride == 1 ? x
                : x[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(null, null, _stride), TensorIndex.Slice(null, null, _stride)];
            return functional.relu(_residual.forward(x) + _shortcut.forward(subsampled));
        }
    }
}
