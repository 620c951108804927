using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.Onnx;
using Microsoft.ML.Data;

namespace Adef.MLNet.Transforms;

/// <summary>
/// Settings shared by <see cref="AdefTransformOptions"/>, <see cref="DeepFoolTransformOptions"/> and
/// <see cref="PgdTransformOptions"/>: the input column, the names of the columns the transform adds, how an ONNX model is
/// loaded, and an optional column of true labels. Each subclass names its attack, its settings (whose
/// <see cref="AttackOptions.BatchSize"/> is also how many rows the transform reads ahead) and the columns only it adds.
/// </summary>
public abstract class AttackTransformOptions
{
    private protected AttackTransformOptions()
    {
    }

    /// <summary>The attack's name in messages ("Adef", "DeepFool", "Pgd").</summary>
    internal abstract string AttackName { get; }

    /// <summary>The attack settings, whatever the attack (for the options all attacks share, e.g. the batch size).</summary>
    internal abstract AttackOptions AttackSettings { get; }

    /// <summary>Checks every setting against a classifier with <paramref name="classCount"/> classes; throws
    /// <see cref="ArgumentException"/> naming the bad one.</summary>
    internal abstract void Validate(int classCount);

    /// <summary>What the transform does to a schema and a batch of rows, for these options.</summary>
    internal abstract AttackMapping CreateMapping(IDifferentiableClassifier classifier);

    /// <summary>
    /// The column attacked: a known-size vector of C·H·W <see cref="float"/> in the classifier's input space, or an image
    /// column of H×W pixels (scaled by <see cref="ImageScale"/>). Default "Pixels", the name <c>ExtractPixels</c> examples use.
    /// </summary>
    public string InputColumnName { get; set; } = "Pixels";

    /// <summary>
    /// Name of the adversarial image column, a vector of C·H·W <see cref="float"/> in the classifier's input space. Default
    /// <see langword="null"/>: <see cref="InputColumnName"/>, so the adversarial pixels replace the clean ones for every
    /// later transform (data augmentation; the clean column stays in the schema, hidden, as ML.NET does for any column
    /// written over).
    /// </summary>
    public string? OutputColumnName { get; set; }

    /// <summary>Name of the column holding the classifier's label of the clean image (<see cref="int"/> class index from 0,
    /// or a key when <see cref="ClassNames"/> is set). Default "OriginalLabel".</summary>
    public string OriginalLabelColumnName { get; set; } = "OriginalLabel";

    /// <summary>Name of the column holding the classifier's label of the adversarial image (<see cref="int"/> class index
    /// from 0, or a key when <see cref="ClassNames"/> is set). Default "AdversarialLabel".</summary>
    public string AdversarialLabelColumnName { get; set; } = "AdversarialLabel";

    /// <summary>Name of the <see cref="bool"/> column that says whether the attack fooled the classifier. Default "Success".</summary>
    public string SuccessColumnName { get; set; } = "Success";

    /// <summary>
    /// Name of the text column that says how the attack on the row ended: the name of its <see cref="AttackOutcome"/>
    /// ("Fooled", "AlreadyMisclassified", "Stalled", "BudgetExceeded", "MaxIterationsReached", "NumericalFailure",
    /// "LostToRounding"), which
    /// <c>Enum.Parse&lt;AttackOutcome&gt;</c> reads back. Default "Outcome".
    /// </summary>
    public string OutcomeColumnName { get; set; } = "Outcome";

    /// <summary>
    /// Name of the <see cref="bool"/> column that says whether the returned image, rounded to the 8-bit pixel grid, fools the
    /// classifier (<see cref="AttackResult.FoolsAfterRounding"/>; false for rows not attacked). Added only when the attack's
    /// <see cref="AttackOptions.ValidImages"/> is set, so pipelines without it keep their schema. Default "FoolsAfterRounding".
    /// </summary>
    public string FoolsAfterRoundingColumnName { get; set; } = "FoolsAfterRounding";

    /// <summary>Name of the <see cref="int"/> column holding the iterations used (see <see cref="AttackResult.Iterations"/>). Default "Iterations".</summary>
    public string IterationsColumnName { get; set; } = "Iterations";

    /// <summary>Name of the <see cref="double"/> column holding ‖x_adv − x‖₂ in input units. Default "PixelL2".</summary>
    public string PixelL2ColumnName { get; set; } = "PixelL2";

    /// <summary>Name of the <see cref="double"/> column holding max |x_adv − x| in input units. Default "PixelLInf".</summary>
    public string PixelLInfColumnName { get; set; } = "PixelLInf";

    /// <summary>
    /// Name of the <see cref="double"/> column holding ‖x_adv − x‖₂ in 8-bit levels (0–255 per channel,
    /// <see cref="AttackResult.LevelL2"/>), added when the classifier states its
    /// <see cref="IDifferentiableClassifier.InputPreprocessing"/>. Default "LevelL2".
    /// </summary>
    public string LevelL2ColumnName { get; set; } = "LevelL2";

    /// <summary>Name of the <see cref="double"/> column holding max |x_adv − x| in 8-bit levels (0–255,
    /// <see cref="AttackResult.LevelLInf"/>), added with <see cref="LevelL2ColumnName"/>. Default "LevelLInf".</summary>
    public string LevelLInfColumnName { get; set; } = "LevelLInf";

    /// <summary>
    /// How the ONNX-model overloads of <c>Transforms.Adef</c>/<c>DeepFool</c>/<c>Pgd</c> load the model (logits output name,
    /// execution provider, threads; see <see cref="OnnxClassifierOptions"/>), saved with the pipeline. Default
    /// <see langword="null"/>: the defaults. With a classifier instance it must stay unset, since that classifier is loaded already.
    /// </summary>
    public OnnxClassifierOptions? Onnx { get; set; }

    /// <summary>
    /// Optional scalar column of true labels (<see cref="int"/>, <see cref="uint"/>, <see cref="long"/>,
    /// <see cref="float"/>, <see cref="double"/> holding class indices from 0, or a key). A key column is read by its
    /// key values (<c>MapValueToKey</c> numbers keys in order of first occurrence, not by class): each key value's name is
    /// looked up in <see cref="ClassNames"/> when set, or else read as a class index; a key value that matches no class is
    /// an error naming it. A key column without key values counts key value 1 as class 0. Rows the classifier already gets
    /// wrong are then not attacked (<see cref="AttackOutcome.AlreadyMisclassified"/>). Default null: every row is attacked.
    /// </summary>
    public string? LabelColumnName { get; set; }

    /// <summary>
    /// Optional scalar column of target labels, one per row, read as <see cref="LabelColumnName"/> is (the same types, key
    /// values looked up the same way): the attack is then targeted, and <see cref="SuccessColumnName"/> is true only for a
    /// row whose adversarial label equals its target (labels passed on the way do not count). A row whose clean label is its
    /// target succeeds unchanged; a target equal to the row's true label is an error naming the row. Default null: untargeted,
    /// any label other than the clean one counts.
    /// </summary>
    public string? TargetLabelColumnName { get; set; }

    /// <summary>
    /// Where the classifier runs: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (<see cref="ComputeDevice.Parse"/>). With the
    /// ONNX-model overloads of <c>Transforms.Adef</c>/<c>DeepFool</c>/<c>Pgd</c> it chooses ONNX Runtime's execution provider
    /// (overriding <see cref="Onnx"/>'s <see cref="OnnxClassifierOptions.Device"/>, and saved with the pipeline); with a classifier instance it is checked against
    /// the classifier's own <see cref="IDifferentiableClassifier.Device"/>. Where the attack's per-iteration work runs is the
    /// attack options' <see cref="AttackOptions.Execution"/>. Default <see langword="null"/>: as the classifier is.
    /// </summary>
    public ComputeDevice? Device { get; set; }

    /// <summary>
    /// How 8-bit pixels become the classifier's input: channel order, scale, per-channel mean and std (for example
    /// <c>new ImagePreprocessing(ChannelOrder.Bgr, 255, [104, 117, 123])</c> for Caffe's SqueezeNet, or
    /// <c>new ImagePreprocessing(ChannelOrder.Rgb, 1, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])</c> for torchvision's
    /// models). With it, an image column (<c>LoadImages</c> → <c>ResizeImages</c>) is converted exactly as the model expects,
    /// DeepFool and PGD clip to each channel's values of bytes 0 and 255, and the <see cref="LevelL2ColumnName"/> and
    /// <see cref="LevelLInfColumnName"/> columns report norms in 8-bit levels. The ONNX-model overloads load the model
    /// with it (<see cref="OnnxClassifierOptions.InputPreprocessing"/>) and save it with the pipeline; with a classifier
    /// instance it must be unset or equal to the classifier's own
    /// <see cref="IDifferentiableClassifier.InputPreprocessing"/>, which is used when this is unset. Default
    /// <see langword="null"/>: the classifier's, else <see cref="ImageScale"/> and <see cref="ImageOffset"/> in RGB order.
    /// </summary>
    public Data.ImagePreprocessing? InputPreprocessing { get; set; }

    /// <summary>
    /// Scale applied to 8-bit pixel values (0–255) when the input column is an image column
    /// (<c>LoadImages</c>/<c>ResizeImages</c>): value = (pixel − <see cref="ImageOffset"/>) × <see cref="ImageScale"/>,
    /// like <c>ExtractPixels</c>' offsetImage/scaleImage. Default 1/255: pixels in [0, 1]. Unused for pixel-vector inputs.
    /// </summary>
    /// <remarks>Without an <see cref="InputPreprocessing"/>, an image column is converted by <see cref="Data.ImagePreprocessing"/>
    /// with Scale = 255 × ImageScale, Mean = ImageOffset × ImageScale and Std = 1: it fills the classifier's channels in R, G,
    /// B order (3 channels) or with the luma of R, G and B, <see cref="Data.ImagePreprocessing.Luma"/> (1 channel). For BGR
    /// models or per-channel mean and std, set <see cref="InputPreprocessing"/>; the two ways cannot be combined.</remarks>
    public float ImageScale { get; set; } = 1f / 255;

    /// <summary>Offset subtracted from 8-bit pixel values before <see cref="ImageScale"/> (image input columns only). Default 0.</summary>
    public float ImageOffset { get; set; }

    /// <summary>
    /// Optional names of the classifier's L classes, in class-index order. When set, the
    /// <see cref="OriginalLabelColumnName"/> and <see cref="AdversarialLabelColumnName"/> columns are key columns
    /// (<c>Key&lt;UInt32, L&gt;</c>, value = class index + 1, as ML.NET's own label columns) annotated with these names
    /// as key values, so <c>MapKeyToValue</c> turns them into names. Default null: the label columns hold
    /// <see cref="int"/> class indices from 0.
    /// </summary>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>
    /// Checks <see cref="InputPreprocessing"/> against the classifier and <see cref="ImageScale"/>/<see cref="ImageOffset"/>,
    /// and returns how image columns are converted: the one preprocessing that holds (none for a classifier of other than 1 or
    /// 3 channels, which takes no image column).
    /// </summary>
    /// <exception cref="ArgumentException">The classifier states another preprocessing, or the image scale or offset is set
    /// beside a preprocessing; the message says which.</exception>
    internal Data.ImagePreprocessing? ImagePreprocessingFor(IDifferentiableClassifier classifier)
    {
        Data.ImagePreprocessing? stated = classifier.InputPreprocessing;
        if (InputPreprocessing is { } wanted && stated is not null && !wanted.Equals(stated))
            throw new ArgumentException(
                $"InputPreprocessing is {wanted}, but the classifier states {stated}. Leave InputPreprocessing unset to use the " +
                "classifier's, or give the classifier this one.", nameof(InputPreprocessing));
        if (InputPreprocessing is not null && stated is null)
            throw new ArgumentException(
                "InputPreprocessing is set, but the classifier given to the transform states none; set the classifier's own " +
                "InputPreprocessing (OnnxClassifierOptions.InputPreprocessing, or the TorchSharp classifier's property) so that its " +
                "attacks clip to the same bounds.", nameof(InputPreprocessing));
        if (stated is null)
            return classifier.InputShape.Channels is 1 or 3
                ? Data.ImagePreprocessing.FromOffsetAndScale(ImageOffset, ImageScale, classifier.InputShape.Channels)
                : null;
        if (ImageScale != 1f / 255 || ImageOffset != 0)
            throw new ArgumentException(
                $"ImageScale and ImageOffset are set beside the input preprocessing ({stated}); the preprocessing says how pixels " +
                "become the model's input, so leave them at their defaults.", nameof(ImageScale));
        return stated;
    }

    /// <summary>The adversarial image column's name: <see cref="OutputColumnName"/>, or the input column it replaces.</summary>
    internal string AdversarialPixelsColumn => OutputColumnName ?? InputColumnName;

    /// <summary>Names of the common output columns, in the order they are added.</summary>
    private protected IEnumerable<string> CommonColumnNames() =>
    [
        AdversarialPixelsColumn, OriginalLabelColumnName, AdversarialLabelColumnName, SuccessColumnName, OutcomeColumnName,
        IterationsColumnName, PixelL2ColumnName, PixelLInfColumnName, LevelL2ColumnName, LevelLInfColumnName,
        .. AttackSettings?.ValidImages == true ? [FoolsAfterRoundingColumnName] : Array.Empty<string>(),
    ];

    /// <summary>Checks the common settings and the attack's; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    private protected void ValidateCommon(IEnumerable<string> extraColumnNames, int classCount)
    {
        ArgumentNullException.ThrowIfNull(AttackSettings, "Attack");
        if (string.IsNullOrWhiteSpace(InputColumnName))
            throw new ArgumentException("InputColumnName must name the column to attack.", nameof(InputColumnName));
        if (!float.IsFinite(ImageScale) || ImageScale == 0)
            throw new ArgumentOutOfRangeException(nameof(ImageScale), ImageScale, "ImageScale must be finite and non-zero.");
        if (!float.IsFinite(ImageOffset))
            throw new ArgumentOutOfRangeException(nameof(ImageOffset), ImageOffset, "ImageOffset must be finite.");
        if (ClassNames is not null)
        {
            if (ClassNames.Count != classCount)
                throw new ArgumentException(
                    $"ClassNames holds {ClassNames.Count} names but the classifier has {classCount} classes.", nameof(ClassNames));
            int unnamed = ClassNames.ToList().FindIndex(string.IsNullOrEmpty);
            if (unnamed >= 0)
                throw new ArgumentException($"ClassNames[{unnamed}] is null or empty; every class needs a name.", nameof(ClassNames));
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string? name in CommonColumnNames().Concat(extraColumnNames))
        {
            if (string.IsNullOrWhiteSpace(name))
                throw new ArgumentException("Every output column needs a non-empty name.", nameof(AttackTransformOptions));
            if (!seen.Add(name))
                throw new ArgumentException($"The output column name '{name}' is used twice.", nameof(AttackTransformOptions));
        }
    }
}
