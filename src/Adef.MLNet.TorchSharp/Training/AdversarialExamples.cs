using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using Adef.MLNet.Data;
using static TorchSharp.torch;

namespace Adef.MLNet.Training;

/// <summary>
/// Crafts the adversarial minibatches of adversarial training with the library's own attack engines, through a
/// <see cref="TorchSharpClassifier"/> over the model being trained (so every batch is attacked with the current weights).
/// </summary>
internal sealed class AdversarialExamples : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly TorchSharpClassifier _classifier;
    private readonly TrainingOptions _options;

    private AdversarialExamples(nn.Module<Tensor, Tensor> model, TorchSharpClassifier classifier, TrainingOptions options)
    {
        _model = model;
        _classifier = classifier;
        _options = options;
    }

    /// <summary>The crafter for <paramref name="options"/>, or <see langword="null"/> for clean training.</summary>
    /// <exception cref="ArgumentException">The attack options do not fit the model (e.g. an ADef candidate rank ≥ its class count).</exception>
    /// <param name="model">The model being trained.</param>
    /// <param name="device">The device the model's parameters are on; the attacks run there.</param>
    /// <param name="data">The training set (its first image gives the class count).</param>
    /// <param name="options">The training options naming the attack.</param>
    public static AdversarialExamples? Create(nn.Module<Tensor, Tensor> model, Device device, LabeledImages data, TrainingOptions options)
    {
        if (options.AdversarialTraining == AdversarialTraining.None) return null;
        int classes = ClassCount(model, device, data);
        var classifier = new TorchSharpClassifier(model, new ImageShape(data.Channels, data.Height, data.Width), classes, device);
        if (options.AdversarialTraining == AdversarialTraining.Adef) _ = new AdefAttack(classifier, options.Adef); // validates against L
        return new AdversarialExamples(model, classifier, options);
    }

    /// <summary>
    /// Replaces the first <paramref name="count"/> images of <paramref name="batch"/> by adversarial examples crafted
    /// against their labels with the model in evaluation mode (which it is left in). Images the model already
    /// misclassifies are kept as they are (they are adversarial already).
    /// </summary>
    /// <param name="batch">count·C·H·W pixels, replaced in place.</param>
    /// <param name="labels">The images' true labels.</param>
    /// <param name="count">Images in the batch.</param>
    /// <param name="seed">Seed of this batch's PGD random start (distinct per step, the same on a resumed run).</param>
    /// <returns>How many images of the batch the model misclassifies after crafting.</returns>
    public int Craft(float[] batch, IReadOnlyList<int> labels, int count, int seed)
    {
        _model.eval();
        int size = _classifier.InputShape.Size;
        var images = new ReadOnlyMemory<float>(batch, 0, count * size); // results are written back only after the attack has ended
        AttackResult[] results = _options.AdversarialTraining == AdversarialTraining.Pgd
            ? new PgdAttack(_classifier, _options.Pgd with { Seed = seed }).Run(images, labels)
            : new AdefAttack(_classifier, _options.Adef).Run(images, labels);
        int wrong = 0;
        foreach (AttackResult result in results)
        {
            result.AdversarialImage.CopyTo(batch, result.Index * size);
            if (result.Success || result.Outcome == AttackOutcome.AlreadyMisclassified) wrong++;
        }
        return wrong;
    }

    private static int ClassCount(nn.Module<Tensor, Tensor> model, Device device, LabeledImages data)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        bool training = model.training;
        model.eval();
        Tensor output = model.forward(tensor(data.Image(0).ToArray(), new long[] { 1, data.Channels, data.Height, data.Width }, device: device));
        if (training) model.train();
        if (output.ndim != 2 || output.shape[0] != 1 || output.shape[1] < 2)
            throw new ArgumentException(
                $"The model maps one image to a tensor of shape [{string.Join(", ", output.shape)}]; adversarial training needs [1, L] logits with L ≥ 2.",
                nameof(model));
        return (int)output.shape[1];
    }

    /// <inheritdoc />
    public void Dispose() => _classifier.Dispose();
}
