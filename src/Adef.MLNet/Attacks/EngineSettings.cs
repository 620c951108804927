namespace Adef.MLNet.Attacks;

/// <summary>What shapes one attack engine's run, declared once by each attack (<see cref="BatchedAttack{TState, TResult}"/>).</summary>
/// <param name="MaxIterations">Steps an image may take; an image still unfooled after them ends MaxIterationsReached.</param>
/// <param name="TargetsPerImage">K: margin gradients per image per step (1 for loss gradients, and in a targeted run).</param>
/// <param name="AuxPlanes">Planes of the engine's own per-image row (ADef's field: 2; DeepFool's accumulated r: C; PGD: 0).</param>
/// <param name="LossGradients">Each step receives <c>∇ₓ CE(F(x), Targets[0])</c> (the seam's cross-entropy gradient)
/// instead of margin gradients; <paramref name="TargetsPerImage"/> must then be 1.</param>
/// <param name="StepsAtAdmission">An image's admission computes the margin gradients of its targets with its clean logits and
/// takes its first step from them, saving a second forward pass of the clean image: targets chosen by
/// <paramref name="TargetRanks"/>, or in a targeted run the caller's. False when the engine moves images before their first
/// step.</param>
/// <param name="TargetRanks">When the run has no caller's targets, each image's targets are the labels at these ranks of its
/// clean logits, in this order (ADef's candidates, DeepFool's top labels); null when they are not ranks.</param>
/// <param name="OriginalLabelLogits">Steps compare the target logits with the logit of each image's original label (DeepFool's
/// f_k = F_k − F_l), which the evaluations then report.</param>
internal sealed record EngineSettings(
    int MaxIterations,
    int TargetsPerImage,
    int AuxPlanes,
    bool LossGradients = false,
    bool StepsAtAdmission = false,
    int[]? TargetRanks = null,
    bool OriginalLabelLogits = false);
