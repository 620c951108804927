using Adef.MLNet.Attacks.Operations;

namespace Adef.MLNet.Attacks;

/// <summary>
/// The valid images of <see cref="BatchedAttack{TState, TResult}"/> (<see cref="AttackOptions.ValidImages"/>): finished images
/// are rounded to the 8-bit pixel grid and classified again, and a success that rounding undid is grown, re-rounded and
/// re-checked until its rounded form fools or the repair gives up.
/// </summary>
internal abstract partial class BatchedAttack<TState, TResult>
{
    /// <summary>How many grown versions of an image whose rounded form stopped fooling the repair tries.</summary>
    internal const int RoundingRepairs = 8;

    /// <summary>
    /// The scale of the attack's change at repair attempt <paramref name="attempt"/> (0-based; −1 is the attack's own):
    /// 1 + 0.05·2^attempt, i.e. 1.05, 1.1, 1.2, 1.4, 1.8, 2.6, 4.2, 7.4. Small first, because most rounded successes are lost
    /// by a hair and every grown change costs norm; doubling after that, so an image that needs much more is not charged
    /// many forward passes.
    /// </summary>
    internal static double RepairScale(int attempt) => attempt < 0 ? 1 : 1 + 0.05 * (1 << attempt);

    /// <summary>
    /// Rounds every attacked image among <paramref name="finished"/> (not those left unattacked or numerically failed) and
    /// judges the rounded image: it fixes each image's label and <see cref="AttackImageState.FoolsAfterRounding"/>, makes a
    /// failure whose rounded form fools a success (as ADef's overshoot does), and repairs the successes that rounding undid.
    /// </summary>
    private void ConcludeOnGrid(List<TState> finished, int[] positions)
    {
        var positionOf = new Dictionary<TState, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < finished.Count; i++)
            if (finished[i].Outcome is not (AttackOutcome.AlreadyMisclassified or AttackOutcome.NumericalFailure))
                positionOf[finished[i]] = positions[i];
        if (positionOf.Count == 0) return;

        List<TState> lost = RoundAndJudge(positionOf.Keys.ToList(), positionOf);
        for (int attempt = 0; attempt < RoundingRepairs && lost.Count > 0; attempt++)
        {
            bool[] moved = Grow(lost, lost.Select(s => positionOf[s]).ToArray(), attempt);
            var grown = new List<TState>(lost.Count);
            for (int j = 0; j < lost.Count; j++)
            {
                if (lost[j].Outcome != AttackOutcome.Fooled) continue; // the grown image was not finite
                if (moved[j]) grown.Add(lost[j]);
                else lost[j].Finish(AttackOutcome.LostToRounding, lost[j].ReportedIterations);
            }
            lost = RoundAndJudge(grown, positionOf);
        }
        foreach (TState state in lost) state.Finish(AttackOutcome.LostToRounding, state.ReportedIterations);
        foreach (TState state in positionOf.Keys)
            if (state.Outcome == AttackOutcome.NumericalFailure) state.FoolsAfterRounding = null;
    }

    /// <summary>Rounds the current images of <paramref name="states"/> and classifies them; returns the successes whose rounded
    /// image does not fool.</summary>
    private List<TState> RoundAndJudge(List<TState> states, Dictionary<TState, int> positionOf)
    {
        var lost = new List<TState>();
        if (states.Count == 0) return lost;
        int[] positions = states.Select(s => positionOf[s]).ToArray();
        using (IRows current = Ops.Gather(Rows.Current, positions))
        using (IRows rounded = Rounded(current))
            Ops.Scatter(Rows.Current, positions, rounded);
        Recheck(states, positions, (state, label, topTwoGap) =>
        {
            state.Label = label;
            state.TopTwoGap = topTwoGap;
            bool fools = FoolsOnGrid(state, label);
            state.FoolsAfterRounding = fools;
            if (fools && state.Outcome != AttackOutcome.Fooled)
                state.Finish(AttackOutcome.Fooled, state.ReportedIterations);
            else if (!fools && state.Outcome == AttackOutcome.Fooled)
                lost.Add(state);
        });
        return lost;
    }

    /// <summary>New rows: <paramref name="images"/> rounded to the pixel grid of <see cref="Grid"/> (on the host, where the
    /// preprocessing is defined).</summary>
    protected IRows Rounded(IRows images)
    {
        float[] values = Ops.Download(images);
        PixelGrid.Round(Grid!, values, Shape.Size);
        return Ops.Upload(values, images.Count, Shape.Channels);
    }
}
