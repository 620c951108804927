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
/// shard goes on. The shard is attacked by <see cref="ImageListAttack"/>, as the CLI attacks in one process: rows have the
/// fields of results.csv and carry the adversarial PNGs' bytes for the client to write.
/// </remarks>
/// <param name="models">The silo's model cache.</param>
/// <param name="device">The device classifiers run on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (anything else is an
/// <see cref="ArgumentException"/> when the worker is created).</param>
public sealed class AttackShardWorker(ModelCache models, string device = "cpu") : IShardWorker
{
    private const int MaxOpenSources = 4;
    private readonly ComputeDevice _device = ComputeDevice.TryParse(device, out ComputeDevice parsed) ? parsed
        : throw new ArgumentException($"The device must be cpu, cuda or cuda:N, not '{device}'.", nameof(device));
    private readonly object _sourcesGate = new();
    private readonly List<(string Key, ImageSource Source)> _sources = [];

    /// <inheritdoc />
    /// <exception cref="ModelHashMismatchException">The model file on this worker is not the job's.</exception>
    /// <exception cref="InvalidOperationException">This worker sees another number of images than the job.</exception>
    public IReadOnlyList<ResultRow> Run(JobSpec job, Shard shard, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(shard);
        using ModelLease<LoadedModel> lease = models.Use(job.ModelPath, job.ModelSha256, $"{_device}\n{job.Attack.Describe()}",
            path => LoadedModel.Load(path, job.Attack, _device));
        LoadedModel model = lease.Model;
        ImageSource source = Source(job, model);
        if (source.Count != job.ImageCount)
            throw new InvalidOperationException(
                $"This worker sees {source.Count} image(s) in '{job.ImagesPath}', the job {job.ImageCount}: the input differs between machines.");

        var attack = new ImageListAttack(model.Classifier, model.Preprocessing, model.Options, source) { WindowImages = shard.Count };
        var rows = new ResultRow[shard.Count];
        lock (model) // one attack at a time per loaded model: the classifier's sessions are shared by the silo's threads
            attack.Run(Enumerable.Range(shard.First, shard.Count).ToArray(), shard.Targets,
                images => { foreach (AttackedImage image in images) rows[image.SourceIndex - shard.First] = image.Row; },
                null, cancellationToken);
        return rows;
    }

    /// <summary>The job's image list, opened once and kept for the job's next shards (only names and labels are held).</summary>
    private ImageSource Source(JobSpec job, LoadedModel model)
    {
        // The count is part of the key: a job with --limit opens the same folder with fewer images.
        string key = $"{job.ImagesPath}\n{job.LabelsPath}\n{job.ImageCount}\n{model.Classifier.InputShape.Width}x{model.Classifier.InputShape.Height}";
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
            ImagePreprocessing preprocessing = spec.Preprocessing(classifier.InputShape.Channels);
            classifier.InputPreprocessing = preprocessing;
            classifier.PrepareGradients();
            return new LoadedModel(classifier, preprocessing, spec.BuildOptions(classifier.ClassCount));
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    public void Dispose() => Classifier.Dispose();
}
