using Adef.MLNet.Data;

namespace Adef.MLNet.Attacks;

/// <summary>The valid input values of each channel, which DeepFool and PGD clip their images to.</summary>
/// <param name="Min">The lowest valid value of each channel (−∞ for none).</param>
/// <param name="Max">The highest valid value of each channel (+∞ for none).</param>
internal sealed record ValueBounds(float[] Min, float[] Max)
{
    /// <summary>True when no channel has a bound, so that clipping can be skipped.</summary>
    public bool IsUnbounded => Min.All(float.IsNegativeInfinity) && Max.All(float.IsPositiveInfinity);

    /// <summary>True when every channel has the same bounds, so that one scalar clamp serves all.</summary>
    public bool IsUniform => Min.All(m => m.Equals(Min[0])) && Max.All(m => m.Equals(Max[0]));

    /// <summary>No bound on any of <paramref name="channels"/> channels.</summary>
    public static ValueBounds None(int channels) =>
        new(Enumerable.Repeat(float.NegativeInfinity, channels).ToArray(), Enumerable.Repeat(float.PositiveInfinity, channels).ToArray());

    /// <summary>
    /// The bounds an attack clips to: an explicit <paramref name="clipMin"/> or <paramref name="clipMax"/> for every channel;
    /// where one is not given, the channel's values of bytes 0 and 255 under the classifier's
    /// <paramref name="preprocessing"/> when it is known, else <paramref name="fallback"/> (PGD's [0, 1]), else none.
    /// </summary>
    /// <exception cref="ArgumentException">A channel's resolved lower bound is not below its upper bound (an explicit bound
    /// outside the classifier's valid values; the message names the channel and both bounds), or the preprocessing fills
    /// another number of channels.</exception>
    public static ValueBounds Resolve(float? clipMin, float? clipMax, ImagePreprocessing? preprocessing, int channels,
        (float Min, float Max)? fallback)
    {
        preprocessing?.RequireChannels(channels, "the classifier", "classifier");
        var min = new float[channels];
        var max = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            (float Min, float Max)? stated = preprocessing?.ChannelBounds(c) ?? fallback;
            min[c] = clipMin ?? stated?.Min ?? float.NegativeInfinity;
            max[c] = clipMax ?? stated?.Max ?? float.PositiveInfinity;
            if (!(min[c] < max[c]))
                throw new ArgumentException(
                    $"Channel {c}'s clip bounds are empty: ClipMin gives {min[c]} and ClipMax {max[c]}" +
                    (preprocessing is null ? "." : $" (an unset bound is the classifier's valid value for the channel under {preprocessing})."),
                    clipMin is null ? "ClipMax" : "ClipMin");
        }
        return new ValueBounds(min, max);
    }
}
