namespace Adef.MLNet.Attacks;

/// <summary>The norm DeepFool minimises.</summary>
public enum DeepFoolNorm
{
    /// <summary>Euclidean norm: steps along the gradient.</summary>
    L2,

    /// <summary>Maximum norm: steps along the sign of the gradient.</summary>
    LInf,
}
