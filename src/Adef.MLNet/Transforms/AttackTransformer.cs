using Adef.MLNet.Classifiers;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// A fitted attack transform: adds an attack's output columns (the adversarial pixels, the attack's own field or
/// perturbation, labels, success, outcome, iterations, norms; see the options) to every row, the adversarial pixels in place of
/// the input column unless <see cref="AttackTransformOptions.OutputColumnName"/> names another. <see cref="Transform"/> is lazy;
/// a cursor reads the attack options' <see cref="Attacks.AttackOptions.BatchSize"/> rows ahead and runs the attack once per batch,
/// and a cursor that reads only input columns never calls the classifier.
/// </summary>
/// <remarks>
/// <c>PredictionEngine</c> works too, one row per attack. It cannot be saved with
/// <c>MLContext.Model.Save</c> (ML.NET's public API cannot persist a third-party batched transform
/// with its settings and model); <see cref="AttackPipeline.Save"/> saves a whole fitted pipeline containing it. Disposing it disposes the classifier when the transform
/// was created from an ONNX file path.
/// </remarks>
/// <typeparam name="TOptions">The transform's options, which name the attack: <see cref="AdefTransformOptions"/>,
/// <see cref="DeepFoolTransformOptions"/> or <see cref="PgdTransformOptions"/>.</typeparam>
public sealed class AttackTransformer<TOptions> : ITransformer, IDisposable
    where TOptions : AttackTransformOptions
{
    private readonly bool _ownsClassifier;

    internal AttackTransformer(IDifferentiableClassifier classifier, TOptions options, bool ownsClassifier, byte[]? onnxModel)
    {
        OnnxModel = onnxModel;
        Classifier = classifier;
        Options = options;
        _ownsClassifier = ownsClassifier;
        Mapping = options.CreateMapping(classifier);
    }

    /// <summary>The ONNX model the classifier was loaded from, when created from a path (what <see cref="AttackPipeline.Save"/> stores).</summary>
    internal byte[]? OnnxModel { get; }

    /// <summary>The classifier attacked.</summary>
    public IDifferentiableClassifier Classifier { get; }

    /// <summary>The attack settings and the column names (input, adversarial output and the added columns).</summary>
    public TOptions Options { get; }

    /// <summary>True: <see cref="GetRowToRowMapper"/> serves <c>PredictionEngine</c>, attacking one row at a time.</summary>
    public bool IsRowToRowMapper => true;

    internal AttackMapping Mapping { get; }

    /// <summary>The input schema plus the added columns.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, not a known-size vector of <see cref="float"/> of size C·H·W, or an image column of another size.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Mapping.GetOutputSchema(inputSchema);

    /// <summary>Returns a lazy view of <paramref name="input"/> with the added columns; nothing is attacked until a cursor reads them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, not a known-size vector of <see cref="float"/> of size C·H·W, or an image column of another size.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new AttackDataView(Mapping, input);
    }

    /// <summary>
    /// A row-to-row mapper for <c>PredictionEngine</c>: it attacks each row on its own (batches of one)
    /// when an added column is read. Use <see cref="Transform"/> for batched throughput.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, not a known-size vector of <see cref="float"/> of size C·H·W, or an image column of another size.</exception>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new AttackRowMapper(Mapping, inputSchema);

    /// <summary>
    /// Not supported: ML.NET's public API cannot persist a third-party batched transform with its
    /// settings and classifier, and saving something that loads back differently would be worse.
    /// </summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException(
            $"The {Options.AttackName} transform cannot be saved with MLContext.Model.Save: ML.NET's public API cannot persist a " +
            "third-party batched transform with its options and classifier. Use Adef.MLNet.Transforms.AttackPipeline.Save(mlContext, model, inputSchema, path) " +
            "and AttackPipeline.Load(mlContext, path, out inputSchema) instead: they round-trip a whole fitted pipeline containing it.");

    /// <summary>Disposes the classifier if this transform created it (ONNX path overloads).</summary>
    public void Dispose()
    {
        if (_ownsClassifier && Classifier is IDisposable disposable) disposable.Dispose();
    }
}
