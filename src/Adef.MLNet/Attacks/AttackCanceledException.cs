namespace Adef.MLNet.Attacks;

/// <summary>
/// An attack was canceled through its <see cref="CancellationToken"/>. It is an <see cref="OperationCanceledException"/>,
/// so callers that catch that keep working; it also carries the results of the images that had finished.
/// </summary>
/// <typeparam name="TResult">The attack's result type (<see cref="AdefResult"/> or <see cref="PerturbationResult"/>).</typeparam>
/// <example>
/// <code>
/// try { results = attack.Run(images, cancellationToken: token); }
/// catch (AttackCanceledException&lt;AdefResult&gt; canceled) { results = canceled.Completed.ToArray(); }
/// </code>
/// </example>
public sealed class AttackCanceledException<TResult> : OperationCanceledException
    where TResult : AttackResult
{
    /// <summary>Creates the exception.</summary>
    /// <param name="completed">The finished images' results, in input order.</param>
    /// <param name="imageCount">How many images the attack was given.</param>
    /// <param name="cancellationToken">The token that was canceled.</param>
    public AttackCanceledException(IReadOnlyList<TResult> completed, int imageCount, CancellationToken cancellationToken)
        : base($"The attack was canceled after {completed?.Count ?? 0} of {imageCount} images had finished; " +
               "their results are in Completed.", cancellationToken)
    {
        Completed = completed ?? throw new ArgumentNullException(nameof(completed));
        ImageCount = imageCount;
    }

    /// <summary>
    /// Results of the images that had finished when the attack stopped, in input order (ascending
    /// <see cref="AttackResult.Index"/>; the indices of unfinished images are missing).
    /// </summary>
    public IReadOnlyList<TResult> Completed { get; }

    /// <summary>How many images the attack was given.</summary>
    public int ImageCount { get; }
}
