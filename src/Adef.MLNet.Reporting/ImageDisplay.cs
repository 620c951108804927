using Adef.MLNet.Classifiers;

namespace Adef.MLNet.Evaluation;

/// <summary>
/// How the flat pixel arrays handed to <see cref="AttackFigures"/> are drawn: their shape (channel-planar C×H×W, the layout
/// used throughout this library; 1 grey or 3 RGB channels) and which value range is shown as black-to-white.
/// </summary>
/// <param name="Shape">The shape of one image.</param>
/// <param name="DisplayMin">Pixel value drawn as black (or zero intensity of a colour channel). Default 0.</param>
/// <param name="DisplayMax">Pixel value drawn as white (or full intensity). Default 1. Values outside
/// [<paramref name="DisplayMin"/>, <paramref name="DisplayMax"/>] are clipped. For normalised inputs
/// pass the normalised images of 0 and 1, for example <c>(0 - mean) / std</c> and <c>(1 - mean) / std</c>.</param>
public sealed record ImageDisplay(ImageShape Shape, float DisplayMin = 0f, float DisplayMax = 1f);
