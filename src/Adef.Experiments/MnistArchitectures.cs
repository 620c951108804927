using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Adef.Experiments;

/// <summary>
/// MNIST-A of the ADef paper: conv 5×5×32 (pad 2) → ReLU → max-pool 2 → conv 5×5×64 (pad 2) → ReLU →
/// max-pool 2 → FC 3136→1024 → ReLU → FC 1024→10. Input N×1×28×28 in [0, 1]; output logits.
/// </summary>
public sealed class MnistA : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _conv1 = Conv2d(1, 32, 5, padding: 2);
    private readonly Module<Tensor, Tensor> _conv2 = Conv2d(32, 64, 5, padding: 2);
    private readonly Module<Tensor, Tensor> _fc1 = Linear(7 * 7 * 64, 1024);
    private readonly Module<Tensor, Tensor> _fc2 = Linear(1024, 10);

    /// <summary>Creates the network with PyTorch's default initialisation (seed with <c>torch.manual_seed</c>).</summary>
    public MnistA() : base(nameof(MnistA))
    {
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = functional.max_pool2d(functional.relu(_conv1.forward(input)), 2);
        x = functional.max_pool2d(functional.relu(_conv2.forward(x)), 2);
        x = functional.relu(_fc1.forward(x.flatten(1)));
        return _fc2.forward(x).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// MNIST-B of the ADef paper: conv 3×3×128 (pad 1) → ReLU → conv 3×3×64 (pad 1) → ReLU → dropout 0.25 →
/// FC 50176→128 → ReLU → dropout 0.5 → FC 128→10. Input N×1×28×28 in [0, 1]; output logits.
/// </summary>
public sealed class MnistB : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _conv1 = Conv2d(1, 128, 3, padding: 1);
    private readonly Module<Tensor, Tensor> _conv2 = Conv2d(128, 64, 3, padding: 1);
    private readonly Module<Tensor, Tensor> _dropout1 = Dropout(0.25);
    private readonly Module<Tensor, Tensor> _fc1 = Linear(28 * 28 * 64, 128);
    private readonly Module<Tensor, Tensor> _dropout2 = Dropout(0.5);
    private readonly Module<Tensor, Tensor> _fc2 = Linear(128, 10);

    /// <summary>Creates the network with PyTorch's default initialisation (seed with <c>torch.manual_seed</c>).</summary>
    public MnistB() : base(nameof(MnistB))
    {
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        Tensor x = functional.relu(_conv1.forward(input));
        x = _dropout1.forward(functional.relu(_conv2.forward(x)));
        x = _dropout2.forward(functional.relu(_fc1.forward(x.flatten(1))));
        return _fc2.forward(x).MoveToOuterDisposeScope();
    }
}
