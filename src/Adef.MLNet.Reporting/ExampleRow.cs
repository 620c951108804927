namespace Adef.MLNet.Evaluation;

/// <summary>
/// One attacked example, drawn as one row of <see cref="AttackFigures.SaveExampleGrid(string, IReadOnlyList{ExampleRow}, ImageDisplay, int, bool)"/>.
/// </summary>
/// <param name="Original">The clean image, C×H×W channel-planar, in the display's value range.</param>
/// <param name="Deformed">The deformed (adversarial) image, same layout as <paramref name="Original"/>.</param>
/// <param name="VectorField">The deformation τ in pixels, 2×H×W: plane 0 is the displacement along columns
/// (x, to the right), plane 1 the displacement along rows (y, downwards). The deformed image samples the
/// original at p + τ(p).</param>
/// <param name="OriginalLabel">Label the classifier gives the original, e.g. "7", or its class name where known, e.g.
/// "giant panda, panda" (panel titles shorten long names).</param>
/// <param name="AdversarialLabel">Label the classifier gives the deformed image, e.g. "3" or "lesser panda".</param>
/// <param name="TNorm">‖τ‖_T, the largest displacement length over the image, in pixels.</param>
/// <remarks>The arrays are referenced, not copied; record equality compares them by reference.</remarks>
public sealed record ExampleRow(
    float[] Original,
    float[] Deformed,
    float[] VectorField,
    string OriginalLabel,
    string AdversarialLabel,
    double TNorm);
