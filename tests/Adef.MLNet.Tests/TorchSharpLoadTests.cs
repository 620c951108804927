using TorchSharp;
using static TorchSharp.torch;

namespace Adef.MLNet.Tests;

public class TorchSharpLoadTests
{
    [Fact]
    public void ForwardAndBackwardRunOnCpu()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1f, 2f, 3f }).requires_grad_(true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(new float[] { 2f, 4f, 6f }, x.grad!.data<float>().ToArray());
    }
}
