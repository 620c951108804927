using Adef.MLNet.Attacks.Operations;

namespace Adef.MLNet.Attacks;

/// <summary>
/// The few batch operations the attack engines are written over, so that each attack exists once whatever runs it: the
/// host span kernels of <c>Adef.MLNet.Imaging</c> (parallel over images), or operations on a classifier's own device
/// that an <see cref="Classifiers.IDeviceResidentClassifier"/> supplies (the TorchSharp package's torch operations).
/// </summary>
/// <remarks>
/// Its members are internal: only this library's packages implement it, because the engines' invariants (row order,
/// blocks, what crosses to the host) are theirs. Rows are grouped in <em>blocks</em> where a row holds one block per
/// candidate label (e.g. K fields of 2 planes). Per-image scalars (norms, flags, labels) come back to the host as arrays;
/// images, fields and gradients stay in rows where the operations compute. Disposing releases what the operations hold.
/// </remarks>
public abstract class AttackOperations : IDisposable
{
    internal AttackOperations()
    {
    }

    /// <summary>Releases what the operations hold (device memory, cached kernels).</summary>
    public abstract void Dispose();

    /// <summary>Copies <paramref name="count"/> rows of <paramref name="planes"/> planes from the host.</summary>
    internal abstract IRows Upload(ReadOnlySpan<float> values, int count, int planes);

    /// <summary>Rows of zeros.</summary>
    internal abstract IRows Zeros(int count, int planes);

    /// <summary>New rows: row j is <paramref name="rows"/>[indices[j]].</summary>
    internal abstract IRows Gather(IRows rows, ReadOnlySpan<int> indices);

    /// <summary>The rows of <paramref name="first"/> followed by those of <paramref name="second"/>.</summary>
    internal abstract IRows Concat(IRows first, IRows second);

    /// <summary>Writes row j of <paramref name="source"/> to row indices[j] of <paramref name="destination"/>.</summary>
    internal abstract void Scatter(IRows destination, ReadOnlySpan<int> indices, IRows source);

    /// <summary>Copies all rows to the host, row-major.</summary>
    internal abstract float[] Download(IRows rows);

    /// <summary>The classifier's logits of the images, n·L on the host (used when images are admitted).</summary>
    internal abstract float[] Logits(IRows images);

    /// <summary>
    /// Runs the classifier on the images: with <paramref name="targets"/> (n·K labels), also the margin gradients
    /// ∇(F_t − F_c) with c the current label, as rows of K·C planes; per-image label, top-two gap, finiteness and
    /// the logits at the targets, at the label and at <paramref name="references"/> (n labels, when given) come back to the host.
    /// With <paramref name="lossGradients"/>, <paramref name="targets"/> holds one label y per image and the gradients are
    /// ∇ₓ CE(F(x), y) instead, rows of C planes (PGD). With <paramref name="allLogits"/> all n·L logits come back to the host
    /// too (the admission of a targeted run, whose first step comes from the same call).
    /// </summary>
    internal abstract ClassifierEvaluation Evaluate(IRows images, int[]? targets, int targetsPerImage, int[]? references = null,
        bool lossGradients = false, bool allLogits = false);

    /// <summary>
    /// <see cref="Evaluate"/> with margin gradients for targets chosen by rank among each image's own logits (the
    /// classifier's ranked margin gradients: one forward pass where the backend supports it); the chosen targets and all
    /// logits come back to the host as well. Used when images are admitted, so their first forward pass also serves
    /// their first step.
    /// </summary>
    internal abstract ClassifierEvaluation EvaluateRanked(IRows images, int[] ranks);

    /// <summary>∂/∂x and ∂/∂y of each image (numpy.gradient semantics, see <c>ImageGradient</c>).</summary>
    internal abstract (IRows Dx, IRows Dy) ImageGradient(IRows images);

    /// <summary>
    /// For gradients of K·C planes per row and image derivatives of C planes: rows of K·2 planes,
    /// block k = (Σ_c g_k·dx, Σ_c g_k·dy).
    /// </summary>
    internal abstract IRows ProjectOntoImageGradient(IRows gradients, IRows dx, IRows dy);

    /// <summary>Each plane convolved separably with <paramref name="kernel"/>, zero padding (see <c>GaussianSmoothing</c>).</summary>
    internal abstract IRows Smooth(IRows planes, float[] kernel);

    /// <summary>Σ v² of each block, in double: n·<paramref name="blocks"/> values.</summary>
    internal abstract double[] SquaredNorms(IRows rows, int blocks);

    /// <summary>Σ |v| of each block, in double: n·<paramref name="blocks"/> values.</summary>
    internal abstract double[] L1Norms(IRows rows, int blocks);

    /// <summary>‖τ‖_T of each block of 2 planes, in double: n·<paramref name="blocks"/> values.</summary>
    internal abstract double[] TNorms(IRows fields, int blocks);

    /// <summary>
    /// Rows of B blocks (B = directions.Planes / baseRows.Planes): block b of row i is
    /// <c>baseRows[i] + scales[i·B + b]·directions[i, b]</c>.
    /// </summary>
    internal abstract IRows AddScaled(IRows baseRows, IRows directions, float[] scales);

    /// <summary>New rows: row j is block <paramref name="blockIndices"/>[j] of row <paramref name="rowIndices"/>[j].</summary>
    internal abstract IRows SelectBlocks(IRows rows, int blocks, ReadOnlySpan<int> rowIndices, ReadOnlySpan<int> blockIndices);

    /// <summary>In place: <c>target[i] += scales[i]·d</c> with d = directions[i], or its sign when <paramref name="signOnly"/>.</summary>
    internal abstract void AddScaledInPlace(IRows target, IRows directions, float[] scales, bool signOnly);

    /// <summary>New rows <c>(float)(rows[i]·factors[i])</c>, the product taken in double.</summary>
    internal abstract IRows Scale(IRows rows, double[] factors);

    /// <summary>Each image warped by its field: <c>x(p + τ(p))</c>, bilinear, border replicate, exact for zero fields.</summary>
    internal abstract IRows Warp(IRows images, IRows fields);

    /// <summary>New rows <c>clamp(original + factor·r, min[c], max[c])</c>, channel c's bounds for channel c.</summary>
    internal abstract IRows AddScaledClamped(IRows original, IRows r, float factor, ValueBounds bounds);

    /// <summary>New rows <c>clamp(clamp(values, centres − ε, centres + ε), min[c], max[c])</c>: onto the ℓ∞ ball, then channel
    /// c's valid range.</summary>
    internal abstract IRows ProjectOntoBall(IRows values, IRows centres, float epsilon, ValueBounds bounds);

    /// <summary>Whether every value of each row is finite.</summary>
    internal abstract bool[] AllFinite(IRows rows);
}
