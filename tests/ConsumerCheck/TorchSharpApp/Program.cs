using Adef.MLNet.Attacks;
using Adef.MLNet.Classifiers;
using Adef.MLNet.Classifiers.TorchSharp;
using static TorchSharp.torch;

// Attacks a tiny convolutional nn.Module with ADef and PGD through TorchSharp's autograd; exits 1 unless ADef fools some image.
manual_seed(1);
var module = nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3));
using var classifier = new TorchSharpClassifier(module, new ImageShape(1, 8, 8), classCount: 3);
var random = new Random(2);
float[] images = Enumerable.Range(0, 6 * 64).Select(_ => (float)random.NextDouble()).ToArray();
AdefResult[] adef = new AdefAttack(classifier, new AdefOptions { CandidateRanks = [1, 2], MaxIterations = 30 }).Run(images);
foreach (AdefResult r in adef) Console.WriteLine($"ADef: {r.OriginalLabel} -> {r.AdversarialLabel}: {r.Outcome}, {r.Iterations} steps, tau_T {r.TNorm:0.000} px");
PerturbationResult[] pgd = new PgdAttack(classifier, new PgdOptions { Epsilon = 0.2, Steps = 10, StepSize = 0.04 }).Run(images);
Console.WriteLine($"PGD: {pgd.Count(r => r.Success)} of {pgd.Length} fooled");
return adef.Any(r => r.Success) ? 0 : 1;
