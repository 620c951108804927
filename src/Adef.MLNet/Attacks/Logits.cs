namespace Adef.MLNet.Attacks;

/// <summary>Small helpers over one image's logit vector.</summary>
internal static class Logits
{
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Labels sorted by descending logit (stable: ties keep the lower label first).</summary>
    public static int[] RankDescending(ReadOnlySpan<float> logits)
    {
        int[] order = new int[logits.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        float[] values = logits.ToArray();
        // CompareTo is a total order (NaN below everything), so hostile logits cannot make the comparison inconsistent.
        Array.Sort(order, (a, b) => values[b].CompareTo(values[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }

    /// <summary>Largest minus second-largest logit.</summary>
    public static float TopTwoGap(ReadOnlySpan<float> logits)
    {
        float first = float.NegativeInfinity, second = float.NegativeInfinity;
        foreach (float v in logits)
        {
            if (v > first) { second = first; first = v; }
            else if (v > second) second = v;
        }
        return first - second;
    }
}
