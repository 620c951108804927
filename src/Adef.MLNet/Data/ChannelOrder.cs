namespace Adef.MLNet.Data;

/// <summary>The order of a classifier's input channels, as <see cref="ImagePreprocessing"/> fills them from 8-bit pixels.</summary>
public enum ChannelOrder
{
    /// <summary>Three channels: red, green, blue (torchvision and most PyTorch models).</summary>
    Rgb,

    /// <summary>Three channels: blue, green, red (Caffe models such as SqueezeNet).</summary>
    Bgr,

    /// <summary>One grey channel, <see cref="ImagePreprocessing.Luma"/> of red, green and blue.</summary>
    Gray,
}
