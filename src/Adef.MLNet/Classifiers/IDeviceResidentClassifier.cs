using Adef.MLNet.Attacks;

namespace Adef.MLNet.Classifiers;

/// <summary>
/// A classifier whose attacks can keep their images, fields and gradients on the classifier's own
/// <see cref="IDifferentiableClassifier.Device"/> through all iterations, instead of bringing them to the host after every
/// model call: it supplies the attack engines' batch operations on that device. The TorchSharp package's classifiers
/// implement it (through <c>ITensorClassifier</c>); other classifiers implement <see cref="IDifferentiableClassifier"/>
/// alone and the attacks' per-iteration work runs on the host.
/// </summary>
public interface IDeviceResidentClassifier : IDifferentiableClassifier
{
    /// <summary>Fresh operations on this classifier's device for one attack run; the attack disposes them.</summary>
    AttackOperations CreateAttackOperations();
}
