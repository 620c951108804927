// The prelude of the C# blocks of docs/guide.md and of the packages' READMEs (src/*/README.md): the names those blocks use
// without declaring them, and the namespaces they use without a `using`. DocumentSnippetTests compiles each block on its own
// together with this file; it is not part of the test assembly. README.md's quick starts are complete programs and get
// none of it, only the implicit usings of a console app.
global using Adef.MLNet;
global using Adef.MLNet.Attacks;
global using Adef.MLNet.Classifiers;
global using Adef.MLNet.Classifiers.Onnx;
global using Adef.MLNet.Classifiers.TorchSharp;
global using Adef.MLNet.Data;
global using Adef.MLNet.Evaluation;
global using Adef.MLNet.Transforms;
global using Microsoft.ML;
global using Microsoft.ML.Data;
global using Microsoft.ML.Transforms.Image;
global using static GuidePrelude;

#pragma warning disable IDE1006 // the names are the ones the blocks use: lower case, as local variables
public static class GuidePrelude
{
    /// <summary>The ML.NET context.</summary>
    public static MLContext mlContext { get; } = null!;

    /// <summary>Rows with a "Path" column of image file names (relative to <see cref="imageFolder"/>) and a "Label" column.</summary>
    public static IDataView data { get; } = null!;

    /// <summary>The folder of the image files.</summary>
    public static string imageFolder { get; } = null!;

    /// <summary>N·C·H·W floats in the classifier's input space, and their N true labels.</summary>
    public static float[] images { get; } = null!;
    public static int[] trueLabels { get; } = null!;

    /// <summary>A classifier (ONNX or TorchSharp), and a TorchSharp module as <c>model</c> (guide) or <c>module</c> (package README).</summary>
    public static IDifferentiableClassifier classifier { get; } = null!;
    public static TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> model { get; } = null!;
    public static TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> module { get; } = null!;

    /// <summary>Results of earlier attacks, and example rows for a report.</summary>
    public static AdefResult[] adefResults { get; } = null!;
    public static PerturbationResult[] deepFoolResults { get; } = null!;
    public static IReadOnlyList<ExampleRow> examples { get; } = null!;

    /// <summary>The images of <see cref="images"/>, loaded somehow.</summary>
    public static float[] LoadImages() => images;
}
