using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Attacks;

/// <summary>
/// What <see cref="AdefAttack"/>, <see cref="DeepFoolAttack"/> and <see cref="PgdAttack"/> share: a classifier and
/// options fixed at construction, and two ways to run over N images — collecting every result, or handing each image's
/// result over as soon as that image finishes —, each untargeted (any other label) or targeted (a label per image). Images
/// are attacked in batches of <see cref="AttackOptions.BatchSize"/>, each image stopping on its own.
/// </summary>
/// <typeparam name="TOptions">The attack's options.</typeparam>
/// <typeparam name="TResult">What the attack returns for one image.</typeparam>
public abstract class ImageAttack<TOptions, TResult>
    where TOptions : AttackOptions
    where TResult : AttackResult
{
    private protected ImageAttack(IDifferentiableClassifier classifier, TOptions options)
    {
        Classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        Options = options;
        if (options.ValidImages) PixelGrid.Of(classifier); // refuse at construction, before any image is read

    }

    /// <summary>The options in use.</summary>
    public TOptions Options { get; }

    private protected IDifferentiableClassifier Classifier { get; }

    /// <summary>Runs a fresh engine (engines hold a run's state) over the images, streaming each result as it finishes.</summary>
    private protected abstract void RunEngine(ReadOnlyMemory<float> images, Action<TResult> onResult, IReadOnlyList<int>? trueLabels,
        IReadOnlyList<int>? targets, IProgress<AttackProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Attacks a batch of images.</summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="targets">Optional N labels, each in [0, L): image i must end classified as <c>targets[i]</c> (a targeted
    /// attack: success only when the final label equals the target; other labels passed on the way do not count). An image
    /// whose clean label is its target already ends <see cref="AttackOutcome.Fooled"/> with 0 iterations, unchanged. The steps
    /// then aim at the target alone (ADef's candidate ranks and DeepFool's top labels are not used). Null (the default): any
    /// label other than the clean one counts (for ADef, see also <see cref="AdefOptions.RankTargeted"/>).</param>
    /// <param name="progress">Receives a report after every iteration (PGD: every step).</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <returns>One result per image, in input order.</returns>
    /// <exception cref="InvalidImageException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="ArgumentException">The buffer is not a whole number of images; the true labels or the targets are not
    /// one per image; a target is not a class of the classifier (<see cref="ArgumentOutOfRangeException"/>) or equals its
    /// image's true label; or targets are given to ADef with <see cref="AdefOptions.RankTargeted"/> set.</exception>
    /// <exception cref="AttackCanceledException{TResult}">
    /// <paramref name="cancellationToken"/> was canceled; the exception (an <see cref="OperationCanceledException"/>)
    /// carries the results of the images finished so far.
    /// </exception>
    public TResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels = null, IReadOnlyList<int>? targets = null,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var results = new TResult[AttackInputs.Count(images, Classifier.InputShape, Classifier.ClassCount, trueLabels, targets)];
        try
        {
            RunEngine(images, result => results[result.Index] = result, trueLabels, targets, progress, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new AttackCanceledException<TResult>(results.Where(r => r is not null).ToArray(), results.Length, cancellationToken);
        }
        return results;
    }

    /// <summary>
    /// Attacks a batch of images, handing each image's result to <paramref name="onResult"/> as soon as that image
    /// finishes, so long runs need not hold every result. The attack keeps no reference to a delivered result.
    /// </summary>
    /// <param name="images">N·C·H·W values in the classifier's input space (not modified).</param>
    /// <param name="onResult">Called once per image, in finishing order (<see cref="AttackResult.Index"/> names the image), on the calling thread.</param>
    /// <param name="trueLabels">Optional N labels; images the classifier already gets wrong are not attacked.</param>
    /// <param name="targets">Optional N labels, each in [0, L): image i must end classified as <c>targets[i]</c> (a targeted
    /// attack: success only when the final label equals the target; other labels passed on the way do not count). An image
    /// whose clean label is its target already ends <see cref="AttackOutcome.Fooled"/> with 0 iterations, unchanged. The steps
    /// then aim at the target alone (ADef's candidate ranks and DeepFool's top labels are not used). Null (the default): any
    /// label other than the clean one counts (for ADef, see also <see cref="AdefOptions.RankTargeted"/>).</param>
    /// <param name="progress">Receives a report after every iteration (PGD: every step).</param>
    /// <param name="cancellationToken">Checked once per iteration.</param>
    /// <exception cref="InvalidImageException">A pixel is NaN or infinite (the message names the image).</exception>
    /// <exception cref="ArgumentException">The buffer is not a whole number of images; the true labels or the targets are not
    /// one per image; a target is not a class of the classifier (<see cref="ArgumentOutOfRangeException"/>) or equals its
    /// image's true label; or targets are given to ADef with <see cref="AdefOptions.RankTargeted"/> set.</exception>
    /// <exception cref="OperationCanceledException">
    /// <paramref name="cancellationToken"/> was canceled; the results of the images finished so far were already delivered.
    /// </exception>
    public void Run(ReadOnlyMemory<float> images, Action<TResult> onResult, IReadOnlyList<int>? trueLabels = null,
        IReadOnlyList<int>? targets = null, IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunEngine(images, onResult, trueLabels, targets, progress, cancellationToken);
}
