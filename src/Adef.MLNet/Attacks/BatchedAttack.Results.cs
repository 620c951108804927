using Adef.MLNet.Attacks.Operations;

namespace Adef.MLNet.Attacks;

/// <summary>The completion of <see cref="BatchedAttack{TState, TResult}"/>: finished images' last changes and their results.</summary>
internal abstract partial class BatchedAttack<TState, TResult>
{
    private TResult[] Complete(List<TState> finished, List<TState> resident)
    {
        if (finished.Count == 0) return Array.Empty<TResult>();
        var positionOf = new Dictionary<TState, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < resident.Count; i++) positionOf[resident[i]] = i;
        int[] positions = finished.Select(s => positionOf[s]).ToArray();
        Conclude(finished, positions);
        if (Grid is not null) ConcludeOnGrid(finished, positions);

        // The finished images' rows cross to the host once, in one copy each for the images and the aux rows.
        float[] current, aux;
        using (IRows rows = Ops.Gather(Rows.Current, positions)) current = Ops.Download(rows);
        using (IRows rows = Ops.Gather(Rows.Aux, positions)) aux = Ops.Download(rows);
        int imageSize = Shape.Size, auxSize = aux.Length / finished.Count;
        var results = new TResult[finished.Count];
        Data.ImagePreprocessing? preprocessing = Classifier.InputPreprocessing;
        Parallel.For(0, finished.Count, i =>
        {
            results[i] = CreateResult(finished[i], current.AsSpan(i * imageSize, imageSize), aux.AsSpan(i * auxSize, auxSize));
            if (preprocessing is not null) results[i].MeasureInLevels(finished[i].Original.Span, preprocessing);
        });
        return results;
    }

    /// <summary>
    /// Evaluates the current images of <paramref name="states"/> (at resident <paramref name="positions"/>) once more, in batches
    /// of the run's size: an image whose logits are not finite ends as NumericalFailure, the others' label and top-two gap go to
    /// <paramref name="onLabel"/>.
    /// </summary>
    protected void Recheck(IReadOnlyList<TState> states, int[] positions, Action<TState, int, float> onLabel)
    {
        for (int start = 0; start < states.Count; start += _batchSize)
        {
            int n = Math.Min(_batchSize, states.Count - start);
            using IRows images = Ops.Gather(Rows.Current, positions.AsSpan(start, n));
            using ClassifierEvaluation evaluation = Ops.Evaluate(images, null, 0);
            for (int i = 0; i < n; i++)
            {
                TState state = states[start + i];
                if (!evaluation.Finite[i])
                    state.Finish(AttackOutcome.NumericalFailure, state.ReportedIterations);
                else
                    onLabel(state, evaluation.Labels[i], evaluation.TopTwoGaps[i]);
            }
        }
    }

    private List<TState> Compact(List<TState> resident)
    {
        int[] keep = Positions(resident, s => s.Outcome is null);
        Rows.Retain(keep);
        return keep.Select(i => resident[i]).ToList();
    }

    private static int[] Positions(List<TState> resident, Func<TState, bool> predicate)
    {
        var positions = new List<int>(resident.Count);
        for (int i = 0; i < resident.Count; i++) if (predicate(resident[i])) positions.Add(i);
        return positions.ToArray();
    }
}
