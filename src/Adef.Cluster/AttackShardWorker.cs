using Adef.MLNet;
using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Adef.MLNet.Data;
using Adef.MLNet.Evaluation;

namespace Adef.Cluster;

/// <summary>The real work: reads a shard's images and attacks them with ADef or DeepFool on an ONNX classifier.</summary>
/// <remarks>
/// The classifier is loaded once per silo and job model through <see cref="ModelCache"/> (the file's SHA-256 is checked
/// first), and the image list is opened once per job; pixels are read per shard, so a worker never holds the dataset.
/// An image that cannot be decoded gets an <see cref="ResultRow.Unreadable"/> row with the reason and the rest of the
/// shard goes on. Rows have the fields of the CLI's results.csv; the adversarial PNGs are not written yet (the png_label
/// column is computed from the rounded bytes, as the CLI does).
/// </remarks>
/// <param name="models">The silo's model cache.</param>
/// <param name="device">The device classifiers run on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
public sealed class AttackShardWorker(ModelCache models, string device = "cpu") : IShardWorker
{
    private const int MaxOpenSources = 4;
    private readonly object _sourcesGate = new();
    private readonly List<(string Key, ImageSource Source)> _sources = [];

    /// <inheritdoc />
    /// <exception cref="ModelHashMismatchException">The model file on this worker is not the job's.</exception>
    /// <exception cref="InvalidOperationException">This worker sees another number of images than the job.</exception>
    public IReadOnlyList<ResultRow> Run(JobSpec job, Shard shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(shard);
        if (!ComputeDevice.TryParse(device, out ComputeDevice computeDevice))
            throw new ArgumentException($"The device must be cpu, cuda or cuda:N, not '{device}'.", nameof(device));
        using ModelLease<LoadedModel> lease = models.Use(job.ModelPath, job.ModelSha256, path => LoadedModel.Load(path, job.Attack, computeDevice));
        LoadedModel model = lease.Model;
        ImageSource source = Source(job, model);
        if (source.Count != job.ImageCount)
            throw new InvalidOperationException(
                $"This worker sees {source.Count} image(s) in '{job.ImagesPath}', the job {job.ImageCount}: the input differs between machines.");

        int length = model.Preprocessing.Channels * source.Width * source.Height;
        var readable = new List<int>(shard.Count);
        var reasons = new Dictionary<int, string>();
        var pixels = new float[shard.Count * length];
        for (int i = shard.First; i < shard.End; i++)
        {
            try
            {
                source.ReadNormalized(i, 1, model.Preprocessing, pixels.AsSpan(readable.Count * length, length));
                readable.Add(i);
            }
            catch (DataFileException e)
            {
                reasons[i] = e.Message;
            }
        }
        // As the CLI: true labels go to the attack only when every image of the input has one (it then skips the misclassified).
        int[]? labels = source.TrueLabels.All(l => l is not null) ? [.. readable.Select(i => source.TrueLabels[i]!.Value)] : null;
        var results = new AttackResult[readable.Count];
        ReadOnlyMemory<float> images = pixels.AsMemory(0, readable.Count * length);
        lock (model) // one attack at a time per loaded model: the classifier's sessions are shared by the silo's threads
        {
            if (readable.Count > 0 && model.Options is AdefOptions adef)
                new AdefAttack(model.Classifier, adef).Run(images, r => results[r.Index] = r, labels, null, null, cancellationToken);
            else if (readable.Count > 0 && model.Options is DeepFoolOptions deepFool)
                new DeepFoolAttack(model.Classifier, deepFool).Run(images, r => results[r.Index] = r, labels, null, null, cancellationToken);
        }
        int[] pngLabels = PngLabels(model, results, length);

        var rows = new List<ResultRow>(shard.Count);
        int next = 0;
        for (int i = shard.First; i < shard.End; i++)
        {
            string name = source.Names[i];
            int? truth = source.TrueLabels[i];
            if (reasons.TryGetValue(i, out string? reason))
            {
                rows.Add(ResultRow.ForUnreadable(name, truth, reason));
                continue;
            }
            AttackResult r = results[next];
            var adefResult = r as AdefResult;
            rows.Add(new ResultRow(name, r.OriginalLabel, r.AdversarialLabel, r.Success, r.Outcome.ToString(), r.Iterations,
                adefResult?.TNorm, adefResult?.FieldL2, r.PixelL2, r.PixelLInf, truth, pngLabels[next], r.Target));
            next++;
        }
        return rows;
    }

    /// <summary>The labels of the adversarial images rounded to PNG bytes, as the CLI computes png_label.</summary>
    private static int[] PngLabels(LoadedModel model, AttackResult[] results, int length)
    {
        if (results.Length == 0) return [];
        var quantised = new float[results.Length * length];
        for (int i = 0; i < results.Length; i++)
        {
            byte[] rgba = model.Preprocessing.Denormalize(results[i].AdversarialImage);
            model.Preprocessing.Normalize(rgba, quantised.AsSpan(i * length, length));
        }
        lock (model) return ClassifierAccuracy.Predict(model.Classifier, quantised, results.Length, results.Length);
    }

    /// <summary>The job's image list, opened once and kept for the job's next shards (only names and labels are held).</summary>
    private ImageSource Source(JobSpec job, LoadedModel model)
    {
        string key = $"{job.ImagesPath}\n{job.LabelsPath}\n{model.Classifier.InputShape.Width}x{model.Classifier.InputShape.Height}";
        lock (_sourcesGate)
        {
            int found = _sources.FindIndex(s => s.Key == key);
            if (found >= 0) return _sources[found].Source;
            ImageSource source = ImageSource.Open(job.ImagesPath, model.Classifier.InputShape.Width, model.Classifier.InputShape.Height,
                job.LabelsPath, job.ImageCount);
            _sources.Add((key, source));
            if (_sources.Count > MaxOpenSources) _sources.RemoveAt(0);
            return source;
        }
    }
}

/// <summary>A classifier loaded for a job, with its input preprocessing and the attack's options.</summary>
internal sealed class LoadedModel : IDisposable
{
    private LoadedModel(OnnxClassifier classifier, ImagePreprocessing preprocessing, AttackOptions options)
    {
        Classifier = classifier;
        Preprocessing = preprocessing;
        Options = options;
    }

    public OnnxClassifier Classifier { get; }

    public ImagePreprocessing Preprocessing { get; }

    public AttackOptions Options { get; }

    /// <summary>Loads the model and builds the attack's options the way the CLI does from the same values.</summary>
    /// <exception cref="ArgumentException">A value of <paramref name="spec"/> is out of range for the model.</exception>
    public static LoadedModel Load(string path, AttackSpec spec, ComputeDevice device)
    {
        var classifier = new OnnxClassifier(path, new OnnxClassifierOptions { LogitsOutputName = spec.Logits, Device = device, FallbackToCpu = false });
        try
        {
            ChannelOrder order = spec.Channels?.Trim().ToLowerInvariant() switch
            {
                null => classifier.InputShape.Channels == 1 ? ChannelOrder.Gray : ChannelOrder.Rgb,
                "rgb" => ChannelOrder.Rgb,
                "bgr" => ChannelOrder.Bgr,
                "gray" or "grey" => ChannelOrder.Gray,
                _ => throw new ArgumentException($"Channels must be rgb, bgr or gray, not '{spec.Channels}'.", nameof(spec)),
            };
            var preprocessing = new ImagePreprocessing(order, spec.Scale, spec.Mean, spec.Std);
            classifier.InputPreprocessing = preprocessing;
            classifier.PrepareGradients();
            return new LoadedModel(classifier, preprocessing, BuildOptions(spec, classifier.ClassCount));
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    public void Dispose() => Classifier.Dispose();

    private static AttackOptions BuildOptions(AttackSpec spec, int classCount)
    {
        switch (spec.Attack.Trim().ToLowerInvariant())
        {
            case "adef":
            {
                AdefOptions options = spec.Preset?.Trim().ToLowerInvariant() switch
                {
                    null => new AdefOptions(),
                    "mnist" => AdefOptions.Mnist,
                    "imagenet" => AdefOptions.ImageNet,
                    _ => throw new ArgumentException($"The preset must be mnist or imagenet, not '{spec.Preset}'.", nameof(spec)),
                };
                if (spec.CandidateRanks is { } ranks) options = options with { CandidateRanks = ranks };
                else if (options.CandidateRanks.Max() >= classCount)
                    options = options with { CandidateRanks = [.. options.CandidateRanks.Where(r => r < classCount)] };
                if (spec.MaxIterations is { } it) options = options with { MaxIterations = it };
                if (spec.MaxNorm is { } norm) options = options with { MaxNorm = norm };
                if (spec.Sigma is { } sigma) options = options with { Sigma = sigma };
                if (spec.OvershootFactor is { } factor) options = options with { OvershootFactor = factor };
                options = options with { BatchSize = spec.BatchSize };
                options.Validate(classCount);
                return options;
            }
            case "deepfool":
            {
                var options = new DeepFoolOptions { BatchSize = spec.BatchSize, Norm = spec.LInf ? DeepFoolNorm.LInf : DeepFoolNorm.L2 };
                if (spec.CandidateCount is { } k) options = options with { CandidateCount = k };
                if (spec.MaxIterations is { } it) options = options with { MaxIterations = it };
                if (spec.OvershootFraction is { } fraction) options = options with { OvershootFraction = fraction };
                options.Validate();
                return options;
            }
            default:
                throw new ArgumentException($"The attack must be adef or deepfool, not '{spec.Attack}'.", nameof(spec));
        }
    }
}
