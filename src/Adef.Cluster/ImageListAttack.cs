using Adef.MLNet;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;

namespace Adef.Cluster;

/// <summary>One attacked image as <see cref="ImageListAttack"/> hands it over.</summary>
/// <param name="SourceIndex">The image's index in the <see cref="ImageSource"/>.</param>
/// <param name="Row">Its row of results.csv, with the adversarial PNG's bytes.</param>
/// <param name="Result">The attack's result; null for an unreadable file.</param>
/// <param name="Clean">The clean image in the model's input space; valid only during the callback (copy it to keep it).</param>
public sealed record AttackedImage(int SourceIndex, ResultRow Row, AttackResult? Result, ReadOnlyMemory<float> Clean);

/// <summary>
/// Attacks images of an <see cref="ImageSource"/> chosen by index, the work of <c>adef attack</c> in one process and of a
/// cluster worker's shard: reads a window of images at a time (never the whole list), attacks them with ADef or DeepFool,
/// encodes each adversarial image as a PNG and classifies its bytes (the png_label column), and hands over rows as
/// results finish. A file that cannot be decoded becomes a row with the outcome <see cref="ResultRow.Unreadable"/> and its
/// reason, unless <see cref="Strict"/>.
/// </summary>
/// <remarks>
/// Within a window the attack keeps its batch full, replacing finished images by waiting ones; a window boundary lets the
/// batch drain once. True labels go to the attack only when every image of the source has one (it then skips the
/// misclassified ones), as in a single call over all images.
/// </remarks>
public sealed class ImageListAttack
{
    /// <summary>The pixel memory a default window may take: 64 MiB of floats.</summary>
    private const long DefaultWindowBytes = 64L << 20;

    /// <summary>The fewest batches a default window holds, so the batch stays full over most of it.</summary>
    private const int MinimumWindowBatches = 8;

    private readonly IDifferentiableClassifier _classifier;
    private readonly ImagePreprocessing _preprocessing;
    private readonly AttackOptions _options;
    private readonly ImageSource _source;
    private readonly bool _useTrueLabels;

    /// <summary>Prepares the attack of images of <paramref name="source"/>.</summary>
    /// <param name="classifier">The model.</param>
    /// <param name="preprocessing">How the source's bytes become the model's input.</param>
    /// <param name="options">ADef's or DeepFool's options.</param>
    /// <param name="source">The images.</param>
    /// <exception cref="ArgumentException">The options are neither ADef's nor DeepFool's, or the preprocessing does not fit the model.</exception>
    public ImageListAttack(IDifferentiableClassifier classifier, ImagePreprocessing preprocessing, AttackOptions options, ImageSource source)
    {
        _classifier = classifier ?? throw new ArgumentNullException(nameof(classifier));
        _preprocessing = preprocessing ?? throw new ArgumentNullException(nameof(preprocessing));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _source = source ?? throw new ArgumentNullException(nameof(source));
        if (options is not (AdefOptions or DeepFoolOptions))
            throw new ArgumentException($"Only ADef and DeepFool attack image lists, not {options.GetType().Name}.", nameof(options));
        if (preprocessing.Channels != classifier.InputShape.Channels)
            throw new ArgumentException($"The preprocessing ({preprocessing}) fills {preprocessing.Channels} channel(s), but the model " +
                                        $"takes {classifier.InputShape.Channels}.", nameof(preprocessing));
        _useTrueLabels = source.TrueLabels.All(l => l is not null);
        ImageLength = classifier.InputShape.Size;
        WindowImages = (int)Math.Max((long)MinimumWindowBatches * options.BatchSize, DefaultWindowBytes / (sizeof(float) * ImageLength));
    }

    /// <summary>Floats per image in the model's input space.</summary>
    public int ImageLength { get; }

    /// <summary>Images read and attacked together; the pixels held at once. Default: 64 MiB of floats, at least 8 batches.</summary>
    public int WindowImages { get; init; }

    /// <summary>Whether a file that cannot be decoded stops the run (its <see cref="DataFileException"/> propagates) instead
    /// of becoming an <see cref="ResultRow.Unreadable"/> row. Default false.</summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Attacks the images <paramref name="indices"/> of the source, handing rows to <paramref name="onImages"/> in groups of
    /// up to one batch as results finish (the rows of unreadable files once their window is read). Cancellation hands over the
    /// finished results, then throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="indices">Source indices, each at most once.</param>
    /// <param name="targets">In a targeted run, the target of each image of <paramref name="indices"/>; otherwise null.</param>
    /// <param name="onImages">Receives the attacked images, on the calling thread.</param>
    /// <param name="progress">Receives the attack's progress over all of <paramref name="indices"/>, or null.</param>
    /// <param name="cancellationToken">Stops the run between iterations.</param>
    /// <exception cref="DataFileException">With <see cref="Strict"/>, a file cannot be decoded.</exception>
    public void Run(IReadOnlyList<int> indices, IReadOnlyList<int>? targets, Action<IReadOnlyList<AttackedImage>> onImages,
        IProgress<AttackProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(onImages);
        if (targets is not null && targets.Count != indices.Count)
            throw new ArgumentException($"Got {targets.Count} targets for {indices.Count} images.", nameof(targets));
        if (WindowImages < 1) throw new InvalidOperationException("WindowImages must be at least 1.");
        int completedBefore = 0, fooledBefore = 0;
        // One buffer for every window: the attack keeps no reference to its input once a window's run has returned.
        var pixels = new float[Math.Min(WindowImages, indices.Count) * ImageLength];
        for (int start = 0; start < indices.Count; start += WindowImages)
        {
            int count = Math.Min(WindowImages, indices.Count - start);
            Window window = Read(indices, targets, start, count, pixels, onImages);
            completedBefore += count - window.Count;
            var shifted = progress is null ? null : new SynchronousProgress(p =>
                progress.Report(new AttackProgress(completedBefore + p.Completed, indices.Count, p.Active, fooledBefore + p.Fooled)));
            (int completed, int fooled) = Attack(window, onImages, shifted, cancellationToken);
            completedBefore += completed;
            fooledBefore += fooled;
        }
    }

    /// <summary>The readable images of one window: their pixels, source indices, labels and targets.</summary>
    private sealed record Window(float[] Pixels, int[] SourceIndices, int[]? Labels, int[]? Targets)
    {
        public int Count => SourceIndices.Length;
    }

    /// <summary>Reads images [start, start + count) of <paramref name="indices"/>; unreadable ones go out as rows at once.</summary>
    private Window Read(IReadOnlyList<int> indices, IReadOnlyList<int>? targets, int start, int count, float[] pixels,
        Action<IReadOnlyList<AttackedImage>> onImages)
    {
        var readable = new List<int>(count);
        var readableTargets = targets is null ? null : new List<int>(count);
        var unreadable = new List<AttackedImage>();
        for (int j = start; j < start + count; j++)
        {
            int index = indices[j];
            try
            {
                _source.ReadNormalized(index, 1, _preprocessing, pixels.AsSpan(readable.Count * ImageLength, ImageLength));
            }
            catch (DataFileException e) when (!Strict)
            {
                unreadable.Add(new AttackedImage(index,
                    ResultRow.ForUnreadable(_source.Names[index], _source.TrueLabels[index], e.Message, targets?[j]), null, default));
                continue;
            }
            readable.Add(index);
            readableTargets?.Add(targets![j]);
        }
        if (unreadable.Count > 0) onImages(unreadable);
        int[]? labels = _useTrueLabels ? [.. readable.Select(i => _source.TrueLabels[i]!.Value)] : null;
        return new Window(pixels, [.. readable], labels, readableTargets?.ToArray());
    }

    /// <summary>Attacks a window's images, handing them over a batch at a time; returns how many finished and were fooled.</summary>
    private (int Completed, int Fooled) Attack(Window window, Action<IReadOnlyList<AttackedImage>> onImages,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken)
    {
        if (window.Count == 0) return (0, 0);
        ReadOnlyMemory<float> images = window.Pixels.AsMemory(0, window.Count * ImageLength);
        var pending = new List<AttackResult>(_options.BatchSize);
        int completed = 0, fooled = 0;
        void Flush()
        {
            if (pending.Count == 0) return;
            onImages(ToImages(window, pending));
            pending.Clear();
        }
        void OnResult(AttackResult result)
        {
            completed++;
            if (result.Success) fooled++;
            pending.Add(result);
            if (pending.Count >= _options.BatchSize) Flush();
        }
        try
        {
            if (_options is AdefOptions adef)
                new AdefAttack(_classifier, adef).Run(images, OnResult, window.Labels, window.Targets, progress, cancellationToken);
            else
                new DeepFoolAttack(_classifier, (DeepFoolOptions)_options).Run(images, OnResult, window.Labels, window.Targets, progress, cancellationToken);
        }
        finally
        {
            Flush(); // on cancellation too: the finished results are handed over before the exception goes on
        }
        return (completed, fooled);
    }

    /// <summary>The finished results as rows with their PNGs; png_label classifies the PNG's bytes, which is what a user of the file gets.</summary>
    private List<AttackedImage> ToImages(Window window, List<AttackResult> results)
    {
        var pngs = new byte[results.Count][];
        var quantised = new float[results.Count * ImageLength];
        for (int i = 0; i < results.Count; i++)
        {
            byte[] rgba = _preprocessing.Denormalize(results[i].AdversarialImage);
            pngs[i] = ImageFiles.EncodePng(rgba, _source.Width, _source.Height);
            _preprocessing.Normalize(rgba, quantised.AsSpan(i * ImageLength, ImageLength));
        }
        int[] pngLabels = ClassifierAccuracy.Predict(_classifier, quantised, results.Count, results.Count);
        var images = new List<AttackedImage>(results.Count);
        for (int i = 0; i < results.Count; i++)
        {
            AttackResult r = results[i];
            int index = window.SourceIndices[r.Index];
            ResultRow row = ResultRow.Of(_source.Names[index], r, _source.TrueLabels[index], pngLabels[i], pngs[i]);
            images.Add(new AttackedImage(index, row, r, window.Pixels.AsMemory(r.Index * ImageLength, ImageLength)));
        }
        return images;
    }

    /// <summary>Reports on the calling thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<AttackProgress> report) : IProgress<AttackProgress>
    {
        public void Report(AttackProgress value) => report(value);
    }
}
