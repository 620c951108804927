namespace Adef.MLNet.Attacks;

/// <summary>One run of an attack over a set of images, in batches of its options' size; <see cref="BatchedAttack{TState, TResult}"/> implements it.</summary>
internal interface IAttackEngine<TResult> where TResult : AttackResult
{
    /// <summary>Runs the attack, collecting the results in input order.</summary>
    TResult[] Run(ReadOnlyMemory<float> images, IReadOnlyList<int>? trueLabels,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Runs the attack, handing each image's result to <paramref name="onResult"/> as soon as it finishes.</summary>
    void Run(ReadOnlyMemory<float> images, Action<TResult> onResult, IReadOnlyList<int>? trueLabels,
        IProgress<AttackProgress>? progress, CancellationToken cancellationToken);
}
