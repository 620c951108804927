using Adef.MLNet.Classifiers.Onnx.Gradients;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Adef.MLNet.Classifiers.Onnx;

public sealed partial class OnnxClassifier
{
    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">ONNX Runtime failed to run the model (a shape hard-coded in the graph, say); the inner exception has its message.</exception>
    public void ComputeLogits(ReadOnlySpan<float> images, int count, Span<float> logits)
    {
        ClassifierArguments.CheckLogits(this, images, count, logits);
        if (count == 0) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            unsafe
            {
                fixed (float* x = images)
                fixed (float* l = logits)
                {
                    using var input = Tensor(x, images.Length, count, InputShape.Channels, InputShape.Height, InputShape.Width);
                    using var output = Tensor(l, logits.Length, count, ClassCount);
                    try
                    {
                        _forward.Run(_runOptions, _forwardInputs, new[] { input }, _forwardOutputs, new[] { output });
                    }
                    catch (OnnxRuntimeException e)
                    {
                        throw RunFailed(e, count);
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">
    /// The model contains an operator the gradient builder has no rule for (thrown on the first call, naming it). This stays a
    /// <see cref="NotSupportedException"/> rather than an <see cref="InvalidModelException"/>: the model is valid, the library lacks a rule.
    /// </exception>
    /// <exception cref="InvalidModelException">The graph is malformed in a way only the gradient builder notices.</exception>
    public void ComputeLogitsAndMarginGradients(
        ReadOnlySpan<float> images, int count, ReadOnlySpan<int> targetLabels, int targetsPerImage,
        Span<float> logits, Span<float> gradients)
    {
        ClassifierArguments.CheckMarginGradients(this, images, count, targetLabels, targetsPerImage, logits, gradients);
        if (count == 0) return;
        var targets = new long[targetLabels.Length];
        for (int i = 0; i < targets.Length; i++) targets[i] = targetLabels[i];
        lock (_gate) RunGradientModel(images, count, targets, targetsPerImage, logits, gradients, chosen: null);
    }

    /// <inheritdoc />
    /// <remarks>One run of the gradient model: it chooses the targets from its own logits (ONNX TopK's order, which is the
    /// seam's: ties rank the lower label first).</remarks>
    /// <exception cref="NotSupportedException">The model contains an operator the gradient builder has no rule for.</exception>
    /// <exception cref="InvalidModelException">The graph is malformed in a way only the gradient builder notices.</exception>
    public void ComputeLogitsAndRankedMarginGradients(ReadOnlySpan<float> images, int count, ReadOnlySpan<int> ranks,
        Span<float> logits, Span<int> targets, Span<float> gradients)
    {
        RankedTargets.Check(this, images, count, ranks, logits, targets, gradients);
        if (count == 0) return;
        long[] request = RankRequest(count, ranks);
        var chosen = new long[request.Length];
        lock (_gate) RunGradientModel(images, count, request, ranks.Length, logits, gradients, chosen);
        for (int i = 0; i < chosen.Length; i++) targets[i] = (int)chosen[i];
    }

    /// <summary>The gradient model's targets input asking, for each of <paramref name="count"/> images, for the labels at <paramref name="ranks"/>: −1 − rank.</summary>
    internal static long[] RankRequest(long count, ReadOnlySpan<int> ranks)
    {
        var request = new long[count * ranks.Length];
        for (int i = 0; i < request.Length; i++) request[i] = -1 - ranks[i % ranks.Length];
        return request;
    }

    /// <summary>Runs the gradient model; <paramref name="chosen"/>, when given, receives the targets it used.</summary>
    private void RunGradientModel(ReadOnlySpan<float> images, int count, long[] targets, int targetsPerImage,
        Span<float> logits, Span<float> gradients, long[]? chosen)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        InferenceSession session = GradientSession();
        unsafe
        {
            fixed (float* x = images)
            fixed (long* t = targets)
            fixed (long* c = chosen)
            fixed (float* l = logits)
            fixed (float* g = gradients)
            {
                long[] targetShape = { count, targetsPerImage };
                using var input = Tensor(x, images.Length, count, InputShape.Channels, InputShape.Height, InputShape.Width);
                using var targetValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Int64,
                    targetShape, (IntPtr)t, (long)targets.Length * sizeof(long));
                using var logitsValue = Tensor(l, logits.Length, count, ClassCount);
                using var gradientValue = Tensor(g, gradients.Length,
                    count, targetsPerImage, InputShape.Channels, InputShape.Height, InputShape.Width);
                using var chosenValue = chosen is null ? null : OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance,
                    TensorElementType.Int64, targetShape, (IntPtr)c, (long)chosen.Length * sizeof(long));
                string[] outputNames = chosenValue is null ? _gradientOutputs! : [.. _gradientOutputs!, MarginGradientGraph.ChosenTargetsOutput];
                OrtValue[] outputs = chosenValue is null ? [logitsValue, gradientValue] : [logitsValue, gradientValue, chosenValue];
                try
                {
                    session.Run(_runOptions, _gradientInputs!, new[] { input, targetValue }, outputNames, outputs);
                }
                catch (OnnxRuntimeException e)
                {
                    throw RunFailed(e, count, " (gradient model)");
                }
            }
        }
    }

    /// <summary>
    /// Runs the forward model (inputs: images; outputs: logits) or, with <paramref name="gradients"/>, the gradient model
    /// (inputs: images, targets; outputs: logits, gradients and, with <paramref name="chosenTargets"/>, the targets it chose)
    /// with its inputs and outputs bound to memory the caller owns, on the host or the session's GPU, without copies.
    /// <paramref name="beforeRun"/> runs under the classifier's lock just before ONNX Runtime reads the inputs (a device's
    /// pending work must be complete by then). This is the TorchSharp package's tensor form of this classifier.
    /// </summary>
    internal void RunBound(bool gradients, bool chosenTargets, OrtValue[] inputs, OrtValue[] outputs, int count, Action? beforeRun)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            InferenceSession session = gradients ? GradientSession() : _forward;
            string[] inputNames = gradients ? _gradientInputs! : _forwardInputs;
            string[] outputNames = !gradients ? _forwardOutputs
                : chosenTargets ? [.. _gradientOutputs!, MarginGradientGraph.ChosenTargetsOutput] : _gradientOutputs!;
            using OrtIoBinding binding = session.CreateIoBinding();
            try
            {
                for (int i = 0; i < inputs.Length; i++) binding.BindInput(inputNames[i], inputs[i]);
                for (int i = 0; i < outputs.Length; i++) binding.BindOutput(outputNames[i], outputs[i]);
                beforeRun?.Invoke();
                binding.SynchronizeBoundInputs();
                session.RunWithBinding(_runOptions, binding);
                binding.SynchronizeBoundOutputs();
            }
            catch (OnnxRuntimeException e)
            {
                throw RunFailed(e, count, gradients ? " (gradient model)" : "");
            }
        }
    }

    private InvalidOperationException RunFailed(OnnxRuntimeException e, int count, string which = "") =>
        new($"ONNX Runtime failed to run {Describe()}{which} on a batch of {count}: {e.Message}" +
            (count > 1 ? " If the graph hard-codes a batch size (a Reshape to [1, …], say), it can only take one image per call." : ""), e);

    private static unsafe OrtValue Tensor(float* data, int length, params long[] shape) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape, (IntPtr)data,
            (long)length * sizeof(float));
}
