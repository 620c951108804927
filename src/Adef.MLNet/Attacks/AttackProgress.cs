namespace Adef.MLNet.Attacks;

/// <summary>Progress of a batched attack, reported after every iteration.</summary>
/// <param name="Completed">Images whose attack has ended.</param>
/// <param name="Total">Images in the run.</param>
/// <param name="Active">Images being attacked right now.</param>
/// <param name="Fooled">Completed images on which the attack succeeded.</param>
public readonly record struct AttackProgress(int Completed, int Total, int Active, int Fooled);
