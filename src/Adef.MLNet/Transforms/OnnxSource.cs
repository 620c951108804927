using Adef.MLNet.Classifiers.Onnx;

namespace Adef.MLNet.Transforms;

/// <summary>The ONNX model bytes and load options an attack transform's classifier came from (for <see cref="AttackPipeline.Save"/>).</summary>
internal sealed record OnnxSource(byte[] Model, OnnxClassifierOptions? Options);
